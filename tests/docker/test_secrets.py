"""Secrets reach container environments only as secret Outputs, never in clear text."""

import asyncio
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from dezky_infra.program.docker import AppSecrets, PlatformSecrets
from dezky_infra.program.docker.env import container_env

from .harness import (
    ALL_SECRET_VALUES,
    APP_SECRET_VALUES,
    PLATFORM_SECRET_VALUES,
    PORTAL_ISSUER,
    Deployment,
    RecordingMocks,
    RecordingMonitor,
    plain_strings,
    run_stack,
)

CONTAINERS_WITH_SECRETS = {
    "dezky-postgres",
    "dezky-authentik-server",
    "dezky-authentik-worker",
    "dezky-platform-api",
    "dezky-portal",
}


def _assert_secrets_stay_secret(stack: Deployment) -> None:
    assert {name for name, secret in stack.envs_secret.items() if secret} == CONTAINERS_WITH_SECRETS
    for name in CONTAINERS_WITH_SECRETS:
        assert pulumi.runtime.rpc.is_rpc_secret(
            stack.of_type("docker:index/container:Container")[name].inputs["envs"]
        )
    for recorded in stack.registered:
        leaked = [
            text for text in plain_strings(recorded.inputs) for value in ALL_SECRET_VALUES if value in text
        ]
        assert leaked == [], f"{recorded.name} carries a secret in clear text"


def test_secret_outputs_stay_secret_in_env(dev_stack: Deployment) -> None:
    _assert_secrets_stay_secret(dev_stack)


def test_plain_string_secrets_are_made_secret() -> None:
    stack = run_stack(
        platform_secrets=PlatformSecrets(**PLATFORM_SECRET_VALUES),
        app_secrets=AppSecrets(
            api_token=APP_SECRET_VALUES["api_token"],
            portal_client_id="portal",
            portal_client_secret=APP_SECRET_VALUES["portal_client_secret"],
            portal_issuer=PORTAL_ISSUER,
            ocis_client_id="ocis-web",
            ocis_issuer="https://auth.dezky.local/application/o/ocis/",
        ),
    )
    _assert_secrets_stay_secret(stack)


def _resolve_entries(
    entries: list[pulumi.Input[str]] | Callable[[], list[pulumi.Input[str]]],
) -> list[tuple[Any, bool]]:
    """Each entry's value (None when unknown) and secretness, resolved under fresh mocks.

    `entries` may be a function building them, for entries that need the running program (unknowns).
    """
    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(mocks, preview=False, monitor=RecordingMonitor(mocks))
    resolved: list[tuple[Any, bool]] = []

    async def collect() -> None:
        for entry in entries() if callable(entries) else entries:
            output = pulumi.Output.from_input(entry)
            value = await output.future() if await output.is_known() else None
            resolved.append((value, await output.is_secret()))

    @pulumi.runtime.test  # type: ignore[misc]  # the decorator is untyped
    def program() -> Any:
        return collect()

    program()
    return resolved


def _unknown() -> pulumi.Output[str]:
    """A value not known yet, as an Output of another resource is during preview."""
    loop = asyncio.get_running_loop()
    value: asyncio.Future[str] = loop.create_future()
    known: asyncio.Future[bool] = loop.create_future()
    value.set_result("")
    known.set_result(False)
    return pulumi.Output(set(), value, known)


def _keys(resolved: list[tuple[Any, bool]]) -> list[str | None]:
    return [None if value is None else str(value).split("=", 1)[0] for value, _ in resolved]


def test_container_env_marks_each_secret_entry_and_keeps_plain_ones_plain() -> None:
    entries = container_env(
        {"PLAIN": "a", "FROM_OUTPUT": pulumi.Output.from_input("b")},
        {"SECRET": "c", "SECRET_OUTPUT": pulumi.Output.secret("d")},
    )
    assert entries[1] == "PLAIN=a", "a plain string stays a string, so it reads cleanly in diffs"
    assert _resolve_entries(entries) == [
        ("FROM_OUTPUT=b", False),
        ("PLAIN=a", False),
        ("SECRET=c", True),
        ("SECRET_OUTPUT=d", True),
    ]


def test_container_env_sorts_entries_by_key() -> None:
    entries = container_env({"ZETA": "z", "ALPHA": "a", "MIDDLE": "m"}, {"BETA": "b", "OMEGA": "o"})
    assert _keys(_resolve_entries(entries)) == ["ALPHA", "BETA", "MIDDLE", "OMEGA", "ZETA"]


def test_entry_order_depends_neither_on_secretness_nor_on_unknown_values() -> None:
    """The provider holds `envs` as a set: a stable order keeps a preview's diff entry by entry."""
    known_and_plain = _resolve_entries(container_env({"A": "1", "B": "2", "C": "3", "D": "4"}))
    mixed = _resolve_entries(
        lambda: container_env({"D": _unknown(), "B": "2"}, {"C": pulumi.Output.secret("3"), "A": _unknown()})
    )
    assert _keys(known_and_plain) == ["A", "B", "C", "D"]
    assert _keys(mixed) == [None, "B", "C", None]
    assert [secret for _, secret in mixed] == [True, False, True, False]


def test_container_env_rejects_a_key_given_plain_and_secret() -> None:
    with pytest.raises(ValueError, match=r"^environment keys given both plain and secret: \['TOKEN'\]$"):
        container_env({"TOKEN": "a"}, {"TOKEN": "b"})
