"""The reference pages are generated from the declarations and committed: they must be current, and
every example they show must declare resources whose providers accept its inputs."""

from __future__ import annotations

import inspect
import runpy
import typing
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs

from dezky_infra import reference
from dezky_infra.authentik.provider.declaration import AuthentikResource
from tests.docker.harness import unwrap

EXAMPLES = sorted((reference.DOCS / "resources" / "examples").glob("*.py"))
BY_TYPE = {resource.type_token: resource for resource in reference.RESOURCES}


def test_the_committed_pages_are_what_the_declarations_give(capsys: pytest.CaptureFixture[str]) -> None:
    assert reference.main(["--check"]) == 0, capsys.readouterr().out


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
