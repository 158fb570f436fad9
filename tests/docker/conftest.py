"""Fixtures of the docker layer's tests; the mocks and helpers live in `harness.py`."""

import pytest

from tests.conftest import Checkout

from .harness import Deployment, run_stack


@pytest.fixture(autouse=True)
def _in_a_checkout(checkout: Checkout) -> Checkout:
    """Every docker-layer test runs inside a monorepo checkout (``tests.conftest.checkout``)."""
    return checkout


@pytest.fixture
def dev_stack() -> Deployment:
    """The dev stack with default settings, run under fresh mocks."""
    return run_stack()
