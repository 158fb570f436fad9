"""A resource's inputs are declared once, by its ``ResourceSpec``; the resource class derives the rest.

Users of the library keep typed keyword arguments (IDE completion, and mypy catches a wrong name or
type), but the arguments are not a second list that can drift from the spec: ``AuthentikResource``
registers exactly the arguments the spec has fields for, and refuses (``TypeError``) one it has not.
An argument left out is ``UNSET`` and not registered, so the spec's default applies when the provider
checks the inputs: defaults live in the spec only. The spec's ``secrets`` are wrapped in
``Output.secret`` and, with the secret outputs, marked secret in state; the outputs are the
``pulumi.Output`` attributes the resource class annotates beyond the spec's fields.
(``tests/authentik/test_declarations.py`` proves, for every resource, that the keyword arguments, the
spec and the inputs read back from authentik name the same fields.)
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Final

import pulumi
from pulumi.dynamic import Resource

if TYPE_CHECKING:
    from dezky_infra.authentik.provider.base import AuthentikResourceProvider


class Unset:
    """The type of ``UNSET``: a keyword argument the caller did not give."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset()
"""The default of every optional keyword argument: "not given", so the spec's default applies."""
_NOT_INPUTS: Final = frozenset({"self", "resource_name", "opts", "__class__"})


class AuthentikResource(Resource):
    """Base of the authentik resources: registers a spec's worth of arguments and the annotated outputs.

    A subclass names its type and provider once, ``class Group(AuthentikResource, name="Group",
    provider=GroupProvider)``: the Pulumi type is ``pulumi-python:dynamic/authentik:<name>``.
    """

    provider_type: ClassVar[type[AuthentikResourceProvider[Any]]]
    """The dynamic provider that implements this resource (its ``spec_type`` declares the inputs)."""
    type_token: ClassVar[str]
    """The resource's Pulumi type, as state and previews show it."""

    def __init_subclass__(
        cls,
        *,
        name: str | None = None,
        provider: type[AuthentikResourceProvider[Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        """``name`` and ``provider`` once per resource; a subclass of a resource keeps its parent's."""
        name = name or cls.type_token.rsplit(":", 1)[-1]
        super().__init_subclass__(module="authentik", name=name, **kwargs)
        cls.provider_type = provider or cls.provider_type
        cls.type_token = f"pulumi-python:dynamic/authentik:{name}"

    def __init__(
        self,
        resource_name: str,
        arguments: Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``arguments`` is the subclass's ``locals()``: its keyword arguments, ``self`` and ``opts``."""
        provider = self.provider_type()
        spec = provider.spec_type
        given = {name: value for name, value in arguments.items() if name not in _NOT_INPUTS}
        unknown = sorted(set(given) - set(spec.model_fields))
        if unknown:
            raise TypeError(f"{type(self).__name__}: {', '.join(unknown)} is not an input of {spec.__name__}")
        props: dict[str, Any] = {
            name: pulumi.Output.secret(value) if name in spec.secrets else _plain(value)
            for name, value in given.items()
            if value is not UNSET
        }
        # Every annotated output is a property, or Pulumi makes no attribute for it: the computed ones,
        # and an input it echoes that was left out (then None: authentik's choice, like a client id).
        props.update(dict.fromkeys(sorted(output_names(type(self)) - set(props))))
        secret = pulumi.ResourceOptions(additional_secret_outputs=sorted(spec.secrets))
        super().__init__(provider, resource_name, props, pulumi.ResourceOptions.merge(opts, secret))


_OUTPUT_NAMES: dict[type[Resource], frozenset[str]] = {}


def output_names(resource: type[Resource]) -> frozenset[str]:
    """The attributes ``resource`` itself annotates as ``pulumi.Output`` (its outputs, and inputs it
    echoes); not the base classes' (``id``, ``urn``). Worked out once per class."""
    if resource not in _OUTPUT_NAMES:
        hints = inspect.get_annotations(resource, eval_str=True)
        origins: dict[str, object] = {name: typing.get_origin(hint) for name, hint in hints.items()}
        _OUTPUT_NAMES[resource] = frozenset(
            name for name, origin in origins.items() if origin is pulumi.Output
        )
    return _OUTPUT_NAMES[resource]


def _plain(value: Any) -> Any:
    """Tuples as lists (what the engine's serialisation takes)."""
    return list(value) if isinstance(value, tuple) else value
