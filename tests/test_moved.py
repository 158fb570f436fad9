"""Providers pickled into state by the previous release still load after the code moved."""

from __future__ import annotations

import base64

import dill
import pytest

from dezky_infra._moved import MOVED
from dezky_infra.authentik.group import GroupProvider
from dezky_infra.program.generated_secret import GeneratedSecretProvider

# ``__provider`` as dezky-infra 0.1 (commit 988e87b) wrote it into a stack's state.
PREVIOUS_RELEASE = {
    GeneratedSecretProvider: "gASVPwAAAAAAAACMHGRlemt5X2luZnJhLmdlbmVyYXRlZF9zZWNyZXSUjBdHZW5lcmF0ZWRTZWNy"
    "ZXRQcm92aWRlcpSTlCmBlC4=",
    GroupProvider: "gASVNAAAAAAAAACMG2Rlemt5X2luZnJhLmF1dGhlbnRpay5ncm91cJSMDUdyb3VwUHJvdmlkZXKUk5QpgZQu",
}


@pytest.mark.parametrize("provider", list(PREVIOUS_RELEASE), ids=lambda p: p.__name__)
def test_a_provider_the_previous_release_pickled_loads_as_todays_class(provider: type) -> None:
    loaded = dill.loads(base64.b64decode(PREVIOUS_RELEASE[provider]))  # noqa: S301 - our own constant
    assert type(loaded) is provider


def test_every_old_path_names_a_module_that_exists() -> None:
    import importlib  # noqa: PLC0415

    for old, new in MOVED.items():
        assert importlib.import_module(old) is importlib.import_module(new)
