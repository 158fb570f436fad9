"""What the engine tells a policy pack but pulumi_policy 1.21 does not pass on to policies.

Found by reading pulumi v3.260 (pkg/resource/plugin/analyzer_plugin.go) and pulumi_policy 1.21
(pulumi_policy/policy.py):

- Secrets. The engine sends resource properties with their secret markers (``KeepSecrets``), but
  the analyzer's ``Analyze``/``AnalyzeStack`` deserialize them with ``proxy_secrets=False``, which
  drops the marker: a secret ``envs`` entry and a plain one look the same to a validation.
- The stack. Pulumi starts a Python pack through the language host's ``RunPlugin`` (see
  tools/pulumi-language-python/run_plugin.go), which, unlike the old analyzer shim, sets no
  ``PULUMI_STACK``/``PULUMI_CONFIG``; so ``pulumi.get_stack()`` and ``pulumi.Config`` know nothing
  in a pack. The engine sends the stack name and the stack's config in ``ConfigureStack`` instead,
  and pulumi_policy keeps only the stack tags from it.

`install` closes both gaps before the pack is served: properties keep secrets as
`pulumi_policy.Secret` values (assets, archives and remediation are left to pulumi_policy), and
`current_stack` returns the stack name and its non-secret config. Secret config values are not
kept. Both hooks wrap private pulumi_policy names, which is why requirements.txt pins it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi.runtime import proto
from pulumi_policy import Secret
from pulumi_policy import deserialize as _deserialize
from pulumi_policy import policy as _policy


@dataclass(frozen=True)
class StackInfo:
    """The stack being previewed or updated, as the engine described it to the pack."""

    name: str | None = None
    project: str | None = None
    config: Mapping[str, str] = field(default_factory=dict)
    """Plain (non-secret) stack config, keys namespaced like ``dezky:domain``, values as text."""


_lock = threading.Lock()
_stack = StackInfo()
_installed = False


def current_stack() -> StackInfo:
    """The stack the engine configured the pack for; empty until ``ConfigureStack`` arrives."""
    with _lock:
        return _stack


def set_stack(info: StackInfo) -> StackInfo:
    """Record the stack (the engine adapter and tests call this); returns the previous one."""
    global _stack
    with _lock:
        previous, _stack = _stack, info
    return previous


def keep_secrets(prop: Any) -> Any:
    """One property from the wire, with secrets as `Secret` (markers pulumi_policy would drop)."""
    if isinstance(prop, list):
        return [keep_secrets(item) for item in prop]
    if isinstance(prop, dict):
        signature = prop.get(_deserialize.SPECIAL_SIG_KEY)
        if signature == _deserialize.SPECIAL_SECRET_SIG:
            return Secret(keep_secrets(prop["value"]))
        if signature is not None:  # assets and archives: pulumi_policy's own handling
            return _deserialize._deserialize_property(prop)
        return {key: keep_secrets(item) for key, item in prop.items()}
    return prop


def install() -> None:
    """Hook the two gaps into pulumi_policy's analyzer; call before building the `PolicyPack`."""
    global _installed  # noqa: PLW0603 - the hooks go in once per process
    with _lock:
        if _installed:
            return
        _installed = True

    original_deserialize = _deserialize.deserialize_properties  # what pulumi_policy.policy imported

    def deserialize_properties(props: dict[str, Any], proxy_secrets: bool = False) -> dict[str, Any]:
        if proxy_secrets:  # remediation: keep pulumi_policy's secret-preserving proxies
            return original_deserialize(props, True)
        return {key: keep_secrets(value) for key, value in props.items()}

    servicer = _policy._PolicyAnalyzerServicer
    original_configure_stack = servicer.ConfigureStack

    def configure_stack(
        self: _policy._PolicyAnalyzerServicer, request: proto.AnalyzerStackConfigureRequest, context: Any
    ) -> Any:
        secret_keys = set(request.config_secret_keys)
        set_stack(
            StackInfo(
                name=request.stack or None,
                project=request.project or None,
                config={k: v for k, v in request.config.items() if k not in secret_keys},
            )
        )
        return original_configure_stack(self, request, context)

    # Monkeypatches by design (see the module docstring); setattr because neither name is public.
    setattr(_policy, "deserialize_properties", deserialize_properties)  # noqa: B010
    setattr(servicer, "ConfigureStack", configure_stack)  # noqa: B010
