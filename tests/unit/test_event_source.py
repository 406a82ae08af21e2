"""The event-source port: the in-memory store satisfies it, and a view up to N is one too."""

import duckdb
import pytest

from cqrs_lab import (
    InMemoryEventStore,
    Projector,
    SimulatedClock,
    check_consistency,
    read_models_as_of,
    tamper_event,
)
from cqrs_lab.breaking.damage import tampered_positions
from cqrs_lab.orders import CustomerStatsProjection, OrderProjection, build_lab
from cqrs_lab.write_side.event_source import EventSource, SourceUpTo
from cqrs_lab.write_side.sqlite_event_store import SQLiteEventStore
from tests.builders import three_orders
from tests.unit.test_event_store_contract import A, events


def filled(count):
    store = InMemoryEventStore(SimulatedClock())
    store.append(A, events(A, 1, count), expected_version=0)
    return store


def test_the_in_memory_store_is_an_event_source():
    assert isinstance(filled(1), EventSource)


def test_a_view_up_to_a_position_ends_there_whatever_the_limit():
    view = SourceUpTo(filled(5), 3)
    assert isinstance(view, EventSource) and view.head == 3
    assert [r.position for r in view.read_all()] == [1, 2, 3]
    assert [r.position for r in view.read_all(after=1, limit=10)] == [2, 3]
    assert [r.position for r in view.read_all(after=1, limit=1)] == [2]
    assert view.read_all(after=3) == [] and view.read_all(after=4) == []


@pytest.mark.parametrize("position", [-1, 6])
def test_a_view_past_the_head_or_below_zero_is_refused(position):
    with pytest.raises(ValueError, match="position must be between 0 and 5"):
        SourceUpTo(filled(5), position)


def test_a_projector_over_a_sqlite_store_builds_the_same_read_models(tmp_path):
    lab = build_lab(seed=1)
    three_orders(lab)
    lab.catch_up()
    store = SQLiteEventStore(tmp_path / "events.sqlite", lab.clock)
    for stream in lab.event_store.stream_ids():
        store.append(
            stream, [r.event for r in lab.event_store.read_stream(stream)], expected_version=0
        )
    assert isinstance(store, EventSource)
    projections = [OrderProjection(lab.customers), CustomerStatsProjection(lab.customers)]
    projector = Projector(store, duckdb.connect(), projections=projections, clock=lab.clock)
    assert projector.catch_up() == 9 and check_consistency(projector).ok
    for name in ("order_summary", "customer_stats"):
        expected = lab.read_model(name)
        assert read_models_as_of(store, projections, 9).table(name).equals(expected)
    # A fault wraps the source: the SQLite file is never written.
    tamper_event(store, 5, {"broken": True})
    assert store.read_all(after=4, limit=1)[0].event != {"broken": True}
    assert projector.source.read_all(after=4, limit=1)[0].event == {"broken": True}
    # Putting back an equal event (a durable store reads a new object each time) repairs it.
    tamper_event(store, 5, lab.event_store.read_all()[4].event)
    assert tampered_positions(store) == set()
    assert projector.rebuild() == 9 and check_consistency(projector).ok
