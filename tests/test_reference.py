"""The reference pages are generated from the declarations and committed: they must be current, and
every example they show must declare resources whose providers accept its inputs. The configuration
page covers every key of the program's stack config, each described."""

from __future__ import annotations

import inspect
import re
import runpy
import shutil
import typing
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs
from pydantic import BaseModel
from pydantic.alias_generators import to_snake

from dezky_infra import reference
from dezky_infra.authentik.provider.declaration import AuthentikResource
from dezky_infra.program import config
from dezky_infra.program.docker import settings
from tests.docker.harness import unwrap

EXAMPLES = sorted((reference.DOCS / "resources" / "examples").glob("*.py"))
BY_TYPE = {resource.type_token: resource for resource in reference.RESOURCES}


def test_the_committed_pages_are_what_the_declarations_give(capsys: pytest.CaptureFixture[str]) -> None:
    assert reference.main(["--check"]) == 0, capsys.readouterr().out


def test_a_stale_configuration_page_fails_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(reference.DOCS, docs)
    monkeypatch.setattr(reference, "DOCS", docs)
    assert reference.main(["--check"]) == 0, capsys.readouterr().out
    page = docs / "configuration.md"
    page.write_text(page.read_text().replace("`dezky:namePrefix`", "`dezky:namePrefx`"))
    assert reference.main(["--check"]) == 1
    assert capsys.readouterr().out == (
        "stale: docs/configuration.md (run `python -m dezky_infra.reference`)\n"
    )
    page.unlink()
    assert reference.main(["--check"]) == 1
    assert "stale: docs/configuration.md" in capsys.readouterr().out


def config_models(model: type[BaseModel], skip: frozenset[str] = frozenset()) -> list[type[BaseModel]]:
    """``model`` and every model its fields hold, as the configuration page walks them."""
    walk = reference.ConfigSections(skip=skip)
    found = [model]
    for name, field in model.model_fields.items():
        held = None if name in skip else walk.held(name, field.annotation)
        if held is not None:
            found += config_models(held[0], skip)
    return found


def test_every_stack_config_key_is_on_the_configuration_page_with_a_description() -> None:
    page = reference.pages()[reference.DOCS / "configuration.md"]
    models = config_models(config.StackConfig) + config_models(
        settings.DockerSettings, frozenset(settings.DERIVED)
    )
    for model in models:
        described = reference.attribute_docstrings(model)
        missing = [
            name for name in model.model_fields if name not in settings.DERIVED and not described.get(name)
        ]
        assert missing == [], (model.__name__, missing)
    secrets = reference.attribute_docstrings(config.StackSecrets)
    assert [key for key in config.SECRET_KEYS if not secrets.get(to_snake(key))] == []
    for key in sorted(config.known_keys()):
        assert f"`dezky:{key}`" in page, key
    for field in settings.DockerSettings.model_fields.keys() - settings.DERIVED.keys():
        assert f"`dezky:docker.{field}`" in page, field
    assert "tenant_hosts" not in page


def test_every_resource_has_a_page_with_an_example() -> None:
    pages = reference.pages()
    for resource in reference.RESOURCES:
        page = reference.ResourcePage(resource)
        assert reference.example_path(page) in EXAMPLES, resource.__name__
        assert "## Example" in pages[reference.DOCS / "resources" / f"{page.slug}.md"]


def test_every_input_and_output_has_a_description() -> None:
    for resource in reference.RESOURCES:
        spec = reference.ResourcePage(resource).spec
        described = reference.attribute_docstrings(spec)
        missing = [name for name in spec.model_fields if not described.get(name)]
        assert missing == [], (resource.__name__, missing)
        documented = reference.attribute_docstrings(resource)
        outputs = inspect.get_annotations(resource)
        assert [name for name in outputs if name not in documented] == [], resource.__name__


def output_value(resource: type[AuthentikResource], name: str, annotation: Any) -> Any:
    """A stand-in value of the output's type (what a provider would return after a create)."""
    inner = typing.get_args(annotation)[0]
    origin = typing.get_origin(inner) or inner
    return {int: 7, dict: {}}.get(origin, f"{resource.__name__}-{name}")


class ExampleMocks(pulumi.runtime.Mocks):
    """Record every resource; answer with its inputs plus an output of the right type for each."""

    def __init__(self) -> None:
        self.registered: list[tuple[str, dict[str, Any]]] = []

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        inputs = unwrap(dict(args.inputs))
        self.registered.append((args.typ, inputs))
        resource = BY_TYPE[args.typ]
        hints = inspect.get_annotations(resource, eval_str=True)
        outputs = {name: output_value(resource, name, hint) for name, hint in hints.items()}
        return f"{args.name}-id", {**inputs, **outputs}

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


@pytest.mark.parametrize("example", EXAMPLES, ids=[path.stem for path in EXAMPLES])
def test_the_example_declares_what_its_providers_accept(example: Path) -> None:
    check_example(example)


def test_the_readme_example_declares_what_its_providers_accept(tmp_path: Path) -> None:
    readme = (reference.DOCS.parent / "README.md").read_text()
    (block,) = re.findall(r"^```python\n(.*?)^```$", readme, re.MULTILINE | re.DOTALL)
    example = tmp_path / "readme_example.py"
    example.write_text(block)
    check_example(example)


def check_example(example: Path) -> None:
    """Run ``example`` under mocks; every resource it declares passes its provider's check."""
    mocks = ExampleMocks()
    pulumi.runtime.set_mocks(mocks, project="example", stack="dev", preview=False)
    pulumi.runtime.set_all_config({"example:ciToken": "a-ci-token-value"}, secret_keys=["example:ciToken"])

    @pulumi.runtime.test  # type: ignore[misc]  # the decorator is untyped
    def program() -> None:
        runpy.run_path(str(example))

    program()
    assert mocks.registered, f"{example.name} declares no resource"
    for typ, inputs in mocks.registered:
        provider = BY_TYPE[typ].provider_type()
        failures = [(f.property, f.reason) for f in provider.check({}, inputs).failures]
        assert failures == [], (example.name, typ, failures)
