"""postgres_app_factory: every uvicorn worker builds a lab over the store its DSN names."""

import pytest

pytest.importorskip("fastapi")

from cqrs_lab import PostgresEventStore  # noqa: E402
from cqrs_lab.api import POSTGRES_DSN_ENV, postgres_app_factory  # noqa: E402
from cqrs_lab.time_and_ids import defaults  # noqa: E402


@pytest.fixture(autouse=True)
def keep_message_defaults(monkeypatch):
    """A served lab installs its wall clock and random ids: put the defaults back after."""
    monkeypatch.setattr(defaults, "_clock", defaults._clock)
    monkeypatch.setattr(defaults, "_ids", defaults._ids)


def test_without_a_dsn_the_factory_names_the_variable_to_set(monkeypatch):
    monkeypatch.delenv(POSTGRES_DSN_ENV, raising=False)
    with pytest.raises(RuntimeError, match="CQRS_LAB_POSTGRES_DSN"):
        postgres_app_factory()


def test_two_apps_from_one_dsn_write_to_one_store(monkeypatch, postgres_dsn):
    monkeypatch.setenv(POSTGRES_DSN_ENV, postgres_dsn)
    first, second = postgres_app_factory(), postgres_app_factory()
    stores = [app.state.lab.event_store for app in (first, second)]
    assert all(isinstance(store, PostgresEventStore) for store in stores)
    assert stores[0] is not stores[1] and stores[0].dsn == stores[1].dsn == postgres_dsn
    for app in (first, second):
        app.state.lab.close()
