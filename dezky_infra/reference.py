"""The reference pages, generated from the one declaration of each thing they describe.

``python -m dezky_infra.reference`` writes ``docs/resources/<resource>.md`` for every authentik resource
(from its ``ResourceSpec``: every input with its type, required or default, secret or not, what a change
does, its description; the outputs the resource class annotates; the example beside it in
``docs/resources/examples/``) and ``docs/configuration.md`` for the program's stack config (from
``StackConfig``, ``StackSecrets``, the docker layer's settings and the connection's ``SETTINGS``: every
key with its type, default, secret or not, and the attribute docstring under its field). ``--check``
exits 1 when a committed page differs from what the declarations give, which the test suite runs, so
the pages cannot go stale.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import itertools
import sys
import textwrap
import types
import typing
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path
from typing import Any, Final

import yaml
from pydantic import BaseModel, IPvAnyAddress, SecretStr
from pydantic.alias_generators import to_snake
from pydantic.fields import FieldInfo

from dezky_infra.authentik import ApiToken, Application, Brand, Group, OAuth2Provider
from dezky_infra.authentik.api.connection import CONFIG_KEYS, CONFIG_NAMESPACE, SETTINGS, ConnectionSettings
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
    """A field's type as a reader writes it: ``str``, ``list of str``, ``"any" | "all"``, ``object``,
    ``map of str to bool``, ``path``."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return type_name(args[0])
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return type_name(typing.Literal[tuple(member.value for member in annotation)])
    if origin is typing.Literal:
        named = [f"`{value!r}`".replace("'", '"') for value in args]
    elif origin in (typing.Union, types.UnionType):
        named = [type_name(arg) for arg in args]
    elif origin in (list, Sequence) or (origin is tuple and args[1:] == (...,)):
        named = [f"list of {type_name(args[0])}"]
    elif origin is dict and args[1:] != (Any,):
        named = [f"map of {type_name(args[0])} to {type_name(args[1])}"]
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        named = [f"{annotation.__name__} (below)"]
    else:
        plain: dict[Any, str] = {dict: "object", type(None): "null", Any: "any", Path: "path"}
        plain[IPvAnyAddress] = "IP address"
        named = [plain.get(origin or annotation) or str(getattr(annotation, "__name__", annotation))]
    return " \\| ".join(named)


def default_of(field: FieldInfo) -> str:
    """The default as a reader writes it (``required`` when there is none)."""
    if field.is_required():
        return "required"
    if _model_of(field.annotation) is not None:
        return "each key's own (below)"
    return f"`{_json(field.get_default(call_default_factory=True))}`"


def _json(value: Any) -> str:
    """A default as JSON-like text (``null``, ``true``, ``"x"``, ``[]``)."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, list):
        return "[" + ", ".join(_json(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_json(item)}" for key, item in value.items()) + "}"
    if isinstance(value, str | Path | IPv4Address | IPv6Address):
        return f'"{value}"'
    return {None: "null", True: "true", False: "false"}.get(value, str(value))


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


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The model a field of this type is (not a list or map of models), or None."""
    is_model = isinstance(annotation, type) and issubclass(annotation, BaseModel)
    return annotation if is_model else None


def is_secret(annotation: Any) -> bool:
    """Whether a field of this type holds a secret (``SecretStr``, alone or in a union)."""
    return annotation is SecretStr or SecretStr in typing.get_args(annotation)


def model_table(
    model: type[BaseModel],
    change: typing.Callable[[str], str] | None = None,
    *,
    key: typing.Callable[[str], str] | None = None,
    defaults: Mapping[str, str] | None = None,
    skip: Collection[str] = (),
) -> list[str]:
    """A Markdown table of ``model``'s fields: name, type, default, (what a change does), description.

    For stack config (``key`` given) each field is named by ``key(field)``, its key as the user writes
    it, a column says whether it is secret, ``defaults`` gives the default of a key by that name where it
    is another key's value, and the fields in ``skip`` are left out."""
    columns = ["key" if key else "name", "type", "default"]
    columns += ["on change"] if change else ["secret"] if key else []
    lines = ["| " + " | ".join([*columns, "description"]) + " |", "| --- " * (len(columns) + 1) + "|"]
    described = attribute_docstrings(model)
    for name, field in model.model_fields.items():
        if name in skip:
            continue
        shown = key(name) if key else name
        cells = [f"`{shown}`", type_name(field.annotation), (defaults or {}).get(shown) or default_of(field)]
        if change is not None:
            cells.append(change(name))
        elif key is not None:
            cells.append("yes" if is_secret(field.annotation) else "no")
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


CONFIG_INTRO: Final = """\
The Dezky program reads its settings from `Pulumi.<stack>.yaml`, under `config:`, each key in the
namespace `dezky` (`dezky:domain: dezky.local`). Set one with
`pulumi config set <key> <value> --stack <stack>` (the namespace may be left out: it is the project's
name), a secret with `--secret`, and one inside an object or a list with `--path`
(`pulumi config set --path 'docker.ports.https' 8443`). A key
nothing reads, or a bad value, fails the preview in one line that names the key and the fix. Keys whose
default is `required` must be set; `bash scripts/init-stack.sh <stack>` generates the two secrets a
stack needs (`dezky:authentikToken`, `dezky:authentikBootstrapPassword`) when they are missing. What the
OIDC clients, tenants and adoption keys do in practice: [OIDC clients and authentik as
code](oidc-clients.md), [tenants as brands](brands.md), [several stacks on one authentik](stacks.md).
"""
"""The configuration page's opening: how keys are written and set (the tables below say what they are)."""


Key = typing.Callable[[str], str]
"""Names a field of a model by its stack config key as the user writes it."""


@dataclass(frozen=True)
class ConfigSections:
    """The table of one model of the stack config and a section for every model its fields hold, each
    key named as the user writes it (``dezky:oidc.scopes``, ``dezky:tenants[i].slug``)."""

    defaults: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """The default shown for a key (by its full name) where it is another key's value."""
    skip: Collection[str] = ()
    """Fields that are no keys here (documented elsewhere, or derived)."""
    placeholders: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """How a map of models names its keys (``<slug>``), by field; ``<name>`` otherwise."""
    after: Mapping[str, list[str]] = dataclasses.field(default_factory=dict)
    """More lines after the table of a key (by its full name)."""

    def render(self, model: type[BaseModel], key: Key) -> list[str]:
        """``model``'s table, then a section for each model a field holds."""
        lines = [*model_table(model, key=key, defaults=self.defaults, skip=self.skip), ""]
        for name, field in model.model_fields.items():
            held = None if name in self.skip else self.held(name, field.annotation)
            if held is None:
                continue
            inner, prefix = held[0], key(name) + held[1]
            lines += [f"### `{prefix}`", "", one_line(inspect.getdoc(inner)), ""]
            lines += self.render(inner, _under(prefix))
            lines += self.after.get(prefix, [])
        return lines

    def held(self, name: str, annotation: Any) -> tuple[type[BaseModel], str] | None:
        """The model a field of this type holds, with how a key inside it continues: ``""`` for the
        model itself, ``[i]`` for a list of them, ``.<slug>`` for a map of them."""
        args = typing.get_args(annotation)
        if _model_of(annotation) is not None:
            return annotation, ""
        if typing.get_origin(annotation) is tuple and _model_of(args[0]) is not None:
            return args[0], "[i]"
        if typing.get_origin(annotation) is dict and _model_of(args[1]) is not None:
            return args[1], "." + self.placeholders.get(name, "<name>")
        return None


def _under(prefix: str) -> Key:
    """Names the fields of a model held at ``prefix`` (``dezky:oidc`` gives ``dezky:oidc.scopes``)."""
    return lambda field: f"{prefix}.{field}"


CONFIG_SOURCES: Final = (
    "Generated by `python -m dezky_infra.reference` from the declarations: `StackConfig` and",
    "`StackSecrets` in `dezky_infra/program/config.py`, the docker layer's settings in",
    "`dezky_infra/program/docker/settings.py` and the connection in",
    "`dezky_infra/authentik/api/connection.py`.",
)


def configuration_page() -> str:
    """``docs/configuration.md``: every key of the Dezky program's stack config, from its declarations."""
    # Imported here: the program's modules load its docker layer, which only this page needs.
    from dezky_infra.program import config  # noqa: PLC0415

    program_doc = (inspect.getdoc(config.StackSecrets) or "").split("\n\n")
    secrets = attribute_docstrings(config.StackSecrets)
    lines = [
        "# Stack configuration",
        "",
        *CONFIG_SOURCES,
        "",
        CONFIG_INTRO,
        *connection_table(),
        one_line(program_doc[-1]),
        "",
        "## Secrets of the docker layer",
        "",
        "| key | type | default | secret | description |",
        "| --- | --- | --- | --- | --- |",
        *[
            f"| `{CONFIG_NAMESPACE}:{key}` | str | generated | yes | {one_line(secrets.get(to_snake(key)))} |"
            for key in config.SECRET_KEYS
        ],
        "",
        "## Stack settings",
        "",
        one_line(inspect.getdoc(config.StackConfig)),
        "",
        *stack_settings(),
        *docker_settings(),
    ]
    return "\n".join(lines).rstrip() + "\n"


def stack_settings() -> list[str]:
    """The tables of ``StackConfig`` (its connection keys are in the connection's table)."""
    from dezky_infra.program import config  # noqa: PLC0415
    from dezky_infra.program.oidc_clients import default_clients  # noqa: PLC0415

    def key(field: str) -> str:
        return f"{CONFIG_NAMESPACE}:{config.key_of(field)}"

    clients = default_clients(ocis_enabled=True)
    only_with_ocis = "`, `".join(sorted(clients.keys() - default_clients(ocis_enabled=False).keys()))
    default_entries = [
        f"The default entries (`{only_with_ocis}` only with `{key('ocis_enabled')}: true`; "
        f"`{{domain}}` stands for `{key('domain')}`):",
        "",
        "```yaml",
        yaml.safe_dump({key("oidc_clients"): clients}, sort_keys=False, width=100).rstrip(),
        "```",
        "",
    ]
    connection = set(CONFIG_KEYS.values())
    return ConfigSections(
        defaults={key("oidc_clients"): ", ".join(f"`{slug}`" for slug in clients) + " (below)"},
        skip={field for field in config.StackConfig.model_fields if config.key_of(field) in connection},
        placeholders={"oidc_clients": "<slug>"},
        after={f"{key('oidc_clients')}.<slug>": default_entries},
    ).render(config.StackConfig, key)


def docker_settings() -> list[str]:
    """The tables of the docker layer's settings, under ``dezky:docker``."""
    from dezky_infra.program.docker import settings  # noqa: PLC0415

    docker = f"{CONFIG_NAMESPACE}:docker"
    intro = (inspect.getdoc(settings) or "").split("\n\n")[:2]
    return [
        f"## The docker layer: `{docker}`",
        "",
        *[one_line(paragraph) + "\n" for paragraph in intro],
        f"Its keys are snake_case, as the code reads them, nested under `{docker}` in YAML; host paths",
        "are relative to the project folder, where Pulumi runs the program.",
        "",
        *ConfigSections(
            defaults={
                f"{docker}.{key}": f"`{CONFIG_NAMESPACE}:{of}`" for key, of in settings.FROM_STACK.items()
            },
            skip=settings.DERIVED.keys(),
        ).render(settings.DockerSettings, _under(docker)),
    ]


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
    rendered[DOCS / "configuration.md"] = configuration_page()
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
