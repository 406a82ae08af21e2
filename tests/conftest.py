"""Shared fixtures: a fresh lab per test."""

from __future__ import annotations

import pytest

from cqrs_lab.orders import build_lab


@pytest.fixture
def lab():
    """A lab on the demo catalogue, simulated clock, seeded ids, async consistency."""
    return build_lab(seed=1)


from tests.postgres import postgres_dsn, postgres_server  # noqa: E402, F401 (fixtures)
