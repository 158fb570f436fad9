"""What every dezky policy shares: selecting resource types, reading policy config, the report."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from .values import plain

ResourceCheck = Callable[[ResourceValidationArgs, dict[str, Any], ReportViolation], None]
"""A check gets the args, their props as `values.plain` data, and the violation callback."""


def resource_policy(
    name: str,
    description: str,
    enforcement_level: EnforcementLevel,
    resource_types: Collection[str],
    check: ResourceCheck,
    config_schema: PolicyConfigSchema | None = None,
) -> ResourceValidationPolicy:
    """A `ResourceValidationPolicy` that runs `check` on resources of `resource_types` only."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type in resource_types:
            check(args, plain(args.props), report_violation)

    return ResourceValidationPolicy(
        name=name,
        description=description,
        enforcement_level=enforcement_level,
        validate=validate,
        config_schema=config_schema,
    )


def string_list_schema(key: str, description: str, default: Sequence[str]) -> PolicyConfigSchema:
    """The config schema of a policy with one list-of-strings setting."""
    return PolicyConfigSchema(
        properties={
            key: {
                "type": "array",
                "items": {"type": "string"},
                "description": description,
                "default": list(default),
            }
        }
    )


def config_strings(config: Any, key: str, default: Sequence[str]) -> list[str]:
    """A list-of-strings setting from a policy's config (``args.get_config()``), else `default`."""
    value = plain(config).get(key) if config else None
    if value is None:
        return list(default)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise TypeError(f"policy config {key!r} must be a list of strings, got {value!r}")
    return value
