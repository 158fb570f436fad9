"""Fixtures of the docker layer's tests; the mocks and helpers live in `harness.py`."""

import pytest

from .harness import Deployment, run_stack


@pytest.fixture
def dev_stack() -> Deployment:
    """The dev stack with default settings, run under fresh mocks."""
    return run_stack()
