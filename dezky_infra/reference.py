"""The reference pages, generated from the one declaration of each thing they describe.

``python -m dezky_infra.reference`` writes ``docs/resources/<resource>.md`` for every authentik resource
(from its ``ResourceSpec``: every input with its type, required or default, secret or not, what a change
does, its description; the outputs the resource class annotates; the example beside it in
``docs/resources/examples/``) and ``docs/configuration.md`` for the program's stack config (from
``StackConfig`` and the docker layer's settings). ``--check`` exits 1 when a committed page differs from
what the declarations give, which the test suite runs, so the pages cannot go stale.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import itertools
import sys
import textwrap
import types
import typing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from dezky_infra.authentik import ApiToken, Application, Brand, Group, OAuth2Provider
from dezky_infra.authentik.api.connection import CONFIG_NAMESPACE, SETTINGS, ConnectionSettings
from dezky_infra.authentik.provider.base import ResourceSpec
from dezky_infra.authentik.provider.declaration import AuthentikResource, output_names
from dezky_infra.authentik.readiness import AuthentikReady

DOCS: Final = Path(__file__).resolve().parent.parent / "docs"
RESOURCES: Final[tuple[type[AuthentikResource], ...]] = (
    ApiToken,
    OAuth2Provider,
    Application,
    Group,
    Brand,
    AuthentikReady,
)
"""The resources with a page, in the order of the index."""


def type_name(annotation: Any) -> str:
    """A field's type as a reader writes it: ``str``, ``list of str``, ``"any" | "all"``, ``object``."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        named = [f"`{value!r}`".replace("'", '"') for value in args]
    elif origin in (typing.Union, types.UnionType):
        named = [type_name(arg) for arg in args]
    elif origin in (list, Sequence):
        named = [f"list of {type_name(args[0])}"]
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        named = [f"{annotation.__name__} (below)"]
    else:
        plain: dict[Any, str] = {dict: "object", type(None): "null", Any: "any"}
        named = [plain.get(origin or annotation) or str(getattr(annotation, "__name__", annotation))]
    return " \\| ".join(named)


def default_of(field: FieldInfo) -> str:
    """The default as a reader writes it (``required`` when there is none)."""
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    if isinstance(value, tuple):
        value = list(value)
    return f"`{_json(value)}`"


def _json(value: Any) -> str:
    """A default as JSON-like text (``null``, ``true``, ``"x"``, ``[]``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_json(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_json(item)}" for key, item in value.items()) + "}"
    return str(value)


def one_line(text: str | None) -> str:
    """A docstring as one Markdown line: whitespace collapsed, ``|`` escaped, reST's double backticks
    as Markdown's single ones."""
    return " ".join((text or "").split()).replace("|", "\\|").replace("``", "`")


def attribute_docstrings(cls: type) -> dict[str, str]:
    """The docstrings under the annotated attributes of ``cls`` and its bases (the string right after
    ``name: T``): a field's or an output's description."""
    found: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if klass.__module__.startswith("dezky_infra."):
            found.update(_own_docstrings(klass))
    return found


def _own_docstrings(cls: type) -> dict[str, str]:
    """The attribute docstrings ``cls`` itself declares."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    body = tree.body[0].body if isinstance(tree.body[0], ast.ClassDef) else []
    found: dict[str, str] = {}
    for statement, following in itertools.pairwise(body):
        if (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            found[statement.target.id] = following.value.value
    return found


def nested_models(model: type[BaseModel]) -> Iterator[type[BaseModel]]:
    """The models a field of ``model`` holds (a redirect URI), each once."""
    seen: set[type[BaseModel]] = set()
    for field in model.model_fields.values():
        for arg in [field.annotation, *typing.get_args(field.annotation)]:
            if isinstance(arg, type) and issubclass(arg, BaseModel) and arg not in seen:
                seen.add(arg)
                yield arg


def model_table(model: type[BaseModel], change: typing.Callable[[str], str] | None = None) -> list[str]:
    """A Markdown table of ``model``'s fields: name, type, default, (what a change does), description."""
    head = (
        "| name | type | default | on change | description |"
        if change
        else "| name | type | default | description |"
    )
    lines = [head, "| --- " * head.count(" | ") + "| --- |"]
    described = attribute_docstrings(model)
    for name, field in model.model_fields.items():
        cells = [f"`{name}`", type_name(field.annotation), default_of(field)]
        if change is not None:
            cells.append(change(name))
        cells.append(one_line(described.get(name)))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


@dataclass(frozen=True)
class ResourcePage:
    """What one resource's page says, all of it derived from the resource and its spec."""

    resource: type[AuthentikResource]

    @property
    def spec(self) -> type[ResourceSpec]:
        """The resource's declared inputs."""
        return self.resource.provider_type.spec_type

    @property
    def slug(self) -> str:
        """The page's file name: ``oauth2_provider`` for ``OAuth2Provider``."""
        return self.resource.__module__.rsplit(".", 1)[-1]

    def change(self, name: str) -> str:
        """What a change of input ``name`` does."""
        spec = self.spec
        if name in spec.replace_on:
            return "replaces"
        if name in spec.create_only:
            return "none (read on create only)"
        if name in spec.server_chosen:
            return "in place (omitted: authentik's choice, never a change)"
        return "in place"

    def render(self, example: str | None) -> str:
        """The page as Markdown."""
        resource, spec = self.resource, self.spec
        doc = inspect.getdoc(resource) or ""
        module_doc = user_notes(inspect.getdoc(sys.modules[resource.__module__]) or "")
        lines = [
            f"# {resource.__name__}",
            "",
            f"`from dezky_infra.authentik import {resource.__name__}` · Pulumi type "
            f"`{resource.type_token}` (a dynamic resource)",
            "",
            one_line(doc),
            "",
            *[markdown(paragraph) + "\n" for paragraph in module_doc],
        ]
        if example is not None:
            lines += ["## Example", "", "```python", example.rstrip(), "```", ""]
        lines += ["## Inputs", "", *model_table(spec, self.change), ""]
        secrets = sorted(spec.secrets & set(spec.model_fields))
        if secrets:
            lines += [f"Secret inputs (kept as Pulumi secrets in state and diffs): {', '.join(secrets)}.", ""]
        for nested in nested_models(spec):
            lines += [
                f"### {nested.__name__}",
                "",
                one_line(inspect.getdoc(nested)),
                "",
                *model_table(nested),
                "",
            ]
        outputs = sorted(output_names(resource) - set(spec.model_fields))
        documented = attribute_docstrings(resource)
        hints = inspect.get_annotations(resource, eval_str=True)
        lines += ["## Outputs", "", "| name | type | secret | description |", "| --- | --- | --- | --- |"]
        for name in outputs:
            inner = typing.get_args(hints[name])[0]
            secret = "yes" if name in spec.secrets else "no"
            lines.append(f"| `{name}` | {type_name(inner)} | {secret} | {one_line(documented.get(name))} |")
        echoed = sorted(output_names(resource) & set(spec.model_fields))
        lines += [
            "",
            f"Inputs also readable as outputs: {', '.join(f'`{n}`' for n in echoed)}." if echoed else "",
        ]
        return "\n".join(lines).rstrip() + "\n"


CODE_NOTES: Final = "The module reads"
"""A resource module's docstring says what users need first; from the paragraph that starts like this
on it speaks to readers of the code, and the page leaves it out."""


def user_notes(module_doc: str) -> list[str]:
    """The paragraphs of a resource module's docstring after its title, up to the notes on the code."""
    notes = []
    for paragraph in module_doc.split("\n\n")[1:]:
        if paragraph.startswith(CODE_NOTES):
            break
        notes.append(paragraph)
    return notes


def markdown(paragraph: str) -> str:
    """A docstring paragraph as Markdown: a list stays a list (one item per line), prose one line."""
    items: list[str] = []
    for line in paragraph.splitlines():
        if line.startswith("- ") or not items:
            items.append(line)
        else:
            items[-1] += " " + line.strip()
    return "\n".join(one_line(item) for item in items)


def connection_table() -> list[str]:
    """How the resources reach authentik: each setting's stack config key and environment variable."""
    lines = [
        "## Connecting to authentik",
        "",
        "Every resource reads its connection from the stack config, or, for a setting the stack config",
        "does not give, from the environment (the names terraform-provider-authentik uses):",
        "",
        "| setting | stack config | environment | default | secret |",
        "| --- | --- | --- | --- | --- |",
    ]
    described = attribute_docstrings(ConnectionSettings)
    for setting in SETTINGS:
        field = ConnectionSettings.model_fields[setting.field]
        lines.append(
            f"| {one_line(described.get(setting.field))} | `{CONFIG_NAMESPACE}:{setting.config_key}` | "
            f"`{setting.env_var}` | {default_of(field)} | {'yes' if setting.secret else 'no'} |"
        )
    return [*lines, ""]


def example_path(page: ResourcePage) -> Path:
    """Where the page's example program lives (a test runs every one of them)."""
    return DOCS / "resources" / "examples" / f"{page.slug}.py"


def pages() -> dict[Path, str]:
    """Every generated page by path."""
    rendered: dict[Path, str] = {}
    index = [
        "# authentik resources",
        "",
        "Generated by `python -m dezky_infra.reference` from each resource's spec.",
        "",
        *connection_table(),
        "## Resources",
        "",
    ]
    for resource in RESOURCES:
        page = ResourcePage(resource)
        example = example_path(page)
        text = example.read_text() if example.exists() else None
        rendered[DOCS / "resources" / f"{page.slug}.md"] = page.render(text)
        summary = one_line((inspect.getdoc(resource) or "").split(".")[0])
        index.append(f"- [{resource.__name__}]({page.slug}.md): {summary}.")
    rendered[DOCS / "resources" / "README.md"] = "\n".join(index) + "\n"
    return rendered


def main(argv: list[str] | None = None) -> int:
    """Write the pages, or with ``--check`` say which are stale (exit 1)."""
    parser = argparse.ArgumentParser(
        prog="python -m dezky_infra.reference", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a committed page is stale")
    args = parser.parse_args(argv)
    stale = [path for path, text in pages().items() if not path.exists() or path.read_text() != text]
    if args.check:
        for path in stale:
            print(f"stale: {path.relative_to(DOCS.parent)} (run `python -m dezky_infra.reference`)")
        return 1 if stale else 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(pages()[path])
        print(f"wrote {path.relative_to(DOCS.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
