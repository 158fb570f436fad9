"""authentik's containers for each release the layer runs, and how the settings tell the release.

The facts per release (cited in `dezky_infra/program/docker/authentik.py`): 2025.10 keeps uploads under
/media; from 2025.12 on the file storage is /data, whose `media` the image links to /media. Environment,
healthcheck, shared memory and the wait are the same for every release.
"""

import pytest
from pydantic import ValidationError

from dezky_infra.program.docker import DockerSettings
from dezky_infra.program.docker.authentik import RELEASES
from dezky_infra.program.docker.settings import AuthentikRelease, authentik_release_of

from .harness import VOLUME, run_stack

AUTHENTIK_ENV = {
    "AUTHENTIK_POSTGRESQL__HOST": "postgres",
    "AUTHENTIK_POSTGRESQL__USER": "authentik",
    "AUTHENTIK_POSTGRESQL__NAME": "authentik",
    "AUTHENTIK_BOOTSTRAP_EMAIL": "admin@dezky.local",
    "AUTHENTIK_SECRET_KEY": "ak-secret-key-value",
    "AUTHENTIK_POSTGRESQL__PASSWORD": "pg-secret-value",
    "AUTHENTIK_BOOTSTRAP_PASSWORD": "bootstrap-password-value",
    "AUTHENTIK_BOOTSTRAP_TOKEN": "bootstrap-token-value",
}
MEDIA = {"type": "volume", "source": "dezky_authentik_media", "target": "/media"}
TEMPLATES = {"type": "volume", "source": "dezky_authentik_custom_templates", "target": "/templates"}
DATA = {"type": "volume", "source": "dezky_authentik_data", "target": "/data"}
DIGEST = "sha256:" + "c" * 64

# image -> (mounts of both containers, logical names of the volumes they depend on)
RELEASE_CONTAINERS = {
    "ghcr.io/goauthentik/server:2025.10.4": (
        [MEDIA, TEMPLATES],
        {"dezky-authentik-media", "dezky-authentik-custom-templates"},
    ),
    "ghcr.io/goauthentik/server:2025.12.4": (
        [DATA, MEDIA, TEMPLATES],
        {"dezky-authentik-data", "dezky-authentik-media", "dezky-authentik-custom-templates"},
    ),
    "ghcr.io/goauthentik/server:2026.2.2": (
        [DATA, MEDIA, TEMPLATES],
        {"dezky-authentik-data", "dezky-authentik-media", "dezky-authentik-custom-templates"},
    ),
}


@pytest.mark.parametrize("image", RELEASE_CONTAINERS)
def test_the_containers_of_each_release(image: str) -> None:
    mounts, volumes = RELEASE_CONTAINERS[image]
    stack = run_stack(DockerSettings.model_validate({"images": {"authentik": image}}))
    server = stack.container("authentik-server")
    worker = stack.container("authentik-worker")
    for container, command in ((server, "server"), (worker, "worker")):
        assert container.inputs["image"] == image
        assert container.inputs["command"] == [command]
        assert container.inputs["mounts"] == mounts
        assert container.inputs["healthcheck"] == {
            "tests": ["CMD", "ak", "healthcheck"],
            "startPeriod": "1m0s",
            "interval": "10s",
            "timeout": "5s",
            "retries": 5,
        }
        assert container.inputs["shmSize"] == 512
        assert container.inputs["wait"] is True
        assert container.inputs["waitTimeout"] == 300
        assert "user" not in container.inputs, "the image's own user (uid 1000), not compose's root worker"
        assert container.dependencies == {"dezky-network", "dezky-postgres", *volumes}
    assert stack.env("authentik-server") == stack.env("authentik-worker") == AUTHENTIK_ENV
    assert not any(mount["source"] == "/var/run/docker.sock" for mount in worker.inputs["mounts"])
    authentik_volumes = {name for name in stack.of_type(VOLUME) if name.startswith("dezky-authentik-")}
    assert authentik_volumes == volumes, "only the volumes the release mounts are made"


def test_the_release_table_covers_every_release_the_settings_accept() -> None:
    assert set(RELEASES) == set(AuthentikRelease)


@pytest.mark.parametrize(
    ("image", "release"),
    [
        ("ghcr.io/goauthentik/server:2025.10.4", "2025.10"),
        ("ghcr.io/goauthentik/server:2026.2.2", "2026.2"),
        ("ghcr.io/goauthentik/server:2026.2", "2026.2"),
        ("ghcr.io/goauthentik/server:2026.2.0-rc1", "2026.2"),
        (f"registry.local:5000/goauthentik/server:2026.2.3@{DIGEST}", "2026.2"),
        (f"ghcr.io/goauthentik/server@{DIGEST}", None),
        ("ghcr.io/goauthentik/server:gh-main", None),
    ],
)
def test_the_release_is_read_from_the_tag(image: str, release: str | None) -> None:
    assert authentik_release_of(image) == release


def test_the_dev_default_is_2026_2() -> None:
    images = DockerSettings().images
    assert images.authentik == "ghcr.io/goauthentik/server:2026.2.2"
    assert images.authentik_release is AuthentikRelease.V2026_2


def test_a_tagged_image_needs_no_release_setting() -> None:
    images = DockerSettings.model_validate({"images": {"authentik": "ghcr.io/goauthentik/server:2025.10.4"}})
    assert images.images.authentik_release is AuthentikRelease.V2025_10


def test_a_digest_pinned_image_states_its_release() -> None:
    image = f"ghcr.io/goauthentik/server@{DIGEST}"
    settings = DockerSettings.model_validate({"images": {"authentik": image, "authentik_release": "2025.10"}})
    assert settings.images.authentik_release is AuthentikRelease.V2025_10
    assert run_stack(settings).container("authentik-server").inputs["mounts"] == [MEDIA, TEMPLATES]


def _error(images: dict[str, object]) -> tuple[tuple[str | int, ...], str]:
    with pytest.raises(ValidationError) as excinfo:
        DockerSettings.model_validate({"images": images})
    errors = excinfo.value.errors()
    assert len(errors) == 1
    return errors[0]["loc"], errors[0]["msg"]


def test_a_digest_pinned_image_without_its_release_is_refused() -> None:
    assert _error({"authentik": f"ghcr.io/goauthentik/server@{DIGEST}"}) == (
        ("images", "authentik_release"),
        f"Value error, cannot tell which authentik release image 'ghcr.io/goauthentik/server@{DIGEST}' is: "
        "it is pinned by digest alone; set images.authentik_release to the release it was built from "
        "(2025.10, 2025.12, 2026.2)",
    )
    assert _error({"authentik": "ghcr.io/goauthentik/server:gh-main"})[1].startswith(
        "Value error, cannot tell which authentik release image 'ghcr.io/goauthentik/server:gh-main' is: "
        "its tag 'gh-main' is not an authentik version such as 2026.2.2; set images.authentik_release"
    )


def test_an_unknown_release_is_refused_rather_than_run_with_another_layout() -> None:
    assert _error({"authentik": "ghcr.io/goauthentik/server:2026.5.0"}) == (
        ("images", "authentik_release"),
        "Value error, authentik 2026.5 (the tag of image 'ghcr.io/goauthentik/server:2026.5.0') is not a "
        "release the docker layer knows how to run (2025.10, 2025.12, 2026.2): its containers may need "
        "other mounts or settings; pin a known release, or add this one to the release table in "
        "dezky_infra/program/docker/authentik.py",
    )
    assert _error({"authentik": f"ghcr.io/goauthentik/server@{DIGEST}", "authentik_release": "2024.12"})[
        1
    ].startswith("Value error, authentik 2024.12 (images.authentik_release of image")


def test_a_release_setting_must_agree_with_the_tag() -> None:
    assert _error({"authentik": "ghcr.io/goauthentik/server:2025.10.4", "authentik_release": "2026.2"}) == (
        ("images", "authentik_release"),
        "Value error, images.authentik_release is 2026.2 but the tag of image "
        "'ghcr.io/goauthentik/server:2025.10.4' says 2025.10; drop images.authentik_release (the tag "
        "decides) or pin the image you mean",
    )
    agreeing = {"authentik": "ghcr.io/goauthentik/server:2026.2.2", "authentik_release": "2026.2"}
    assert DockerSettings.model_validate({"images": agreeing}).images.authentik_release == "2026.2"


def test_an_unquoted_yaml_release_is_explained() -> None:
    loc, message = _error({"authentik": f"ghcr.io/goauthentik/server@{DIGEST}", "authentik_release": 2025.1})
    assert loc == ("images", "authentik_release")
    assert message == (
        "Value error, images.authentik_release must be a string such as '2026.2', not 2025.1 (in YAML, "
        "quote it: an unquoted 2025.10 reads as the number 2025.1)"
    )


def test_a_refused_image_is_one_error_not_two() -> None:
    assert _error({"authentik": "ghcr.io/goauthentik/server:latest"})[0] == ("images", "authentik")
