"""The event store contract: every adapter (in-memory today, file or PostgreSQL later)
must pass these unchanged. Subclass :class:`EventStoreContract` and provide ``make_store``.
"""

from datetime import timedelta
from uuid import UUID

import pytest

from cqrs_lab import (
    ConcurrencyError,
    InMemoryEventStore,
    PostgresEventStore,
    SimulatedClock,
    SQLiteEventStore,
)
from cqrs_lab.orders import OrderCancelled, OrderShipped

A = UUID("00000000-0000-4000-8000-00000000000a")
B = UUID("00000000-0000-4000-8000-00000000000b")


def events(stream, first_version, count):
    return [
        OrderCancelled(order_id=stream, reason=f"r{v}", version=v)
        for v in range(first_version, first_version + count)
    ]


class EventStoreContract:
    """Behaviour every event store adapter promises."""

    def make_store(self, clock):
        raise NotImplementedError

    @pytest.fixture
    def clock(self):
        return SimulatedClock()

    @pytest.fixture
    def store(self, clock):
        return self.make_store(clock)

    def test_an_empty_store_has_head_zero_and_nothing_to_read(self, store):
        assert store.head == 0
        assert store.read_all() == [] and store.read_stream(A) == []
        assert store.stream_version(A) == 0

    def test_positions_are_global_and_gap_free_across_streams(self, store):
        store.append(A, events(A, 1, 2), expected_version=0)
        store.append(B, events(B, 1, 1), expected_version=0)
        store.append(A, events(A, 3, 1), expected_version=2)
        assert [r.position for r in store.read_all()] == [1, 2, 3, 4]
        assert [(r.stream_id, r.version) for r in store.read_all()] == [
            (A, 1),
            (A, 2),
            (B, 1),
            (A, 3),
        ]
        assert store.head == 4

    def test_recorded_events_expose_position_time_and_the_event(self, store, clock):
        clock.advance(timedelta(seconds=5))
        [recorded] = store.append(A, events(A, 1, 1), expected_version=0)
        assert recorded.position == 1 and recorded.recorded_at == clock.now()
        assert recorded.event.reason == "r1" and recorded.type == "OrderCancelled"

    def test_read_all_after_a_position_with_a_limit(self, store):
        store.append(A, events(A, 1, 5), expected_version=0)
        assert [r.position for r in store.read_all(after=2)] == [3, 4, 5]
        assert [r.position for r in store.read_all(after=1, limit=2)] == [2, 3]
        assert store.read_all(after=5) == []
        with pytest.raises(ValueError):
            store.read_all(after=-1)

    def test_read_stream_returns_one_stream_in_version_order(self, store):
        store.append(A, events(A, 1, 2), expected_version=0)
        store.append(B, events(B, 1, 1), expected_version=0)
        assert [r.version for r in store.read_stream(A)] == [1, 2]
        assert [r.version for r in store.read_stream(A, after_version=1)] == [2]

    def test_a_stale_expected_version_raises_and_stores_nothing(self, store):
        store.append(A, events(A, 1, 2), expected_version=0)
        with pytest.raises(ConcurrencyError) as caught:
            store.append(A, events(A, 2, 1), expected_version=1)
        error = caught.value
        assert (error.stream_id, error.expected_version, error.actual_version) == (A, 1, 2)
        assert str(A) in str(error) and "expected version 1" in str(error)
        assert store.head == 2

    def test_a_batch_that_does_not_continue_the_stream_is_refused_whole(self, store):
        bad = events(A, 1, 1) + events(A, 3, 1)
        with pytest.raises(ValueError, match="expects 2"):
            store.append(A, bad, expected_version=0)
        assert store.head == 0

    def test_an_event_of_another_stream_is_refused(self, store):
        with pytest.raises(ValueError, match="belongs to"):
            store.append(A, [OrderShipped(order_id=B, version=1)], expected_version=0)
        assert store.head == 0

    def test_a_refused_batch_leaves_no_trace_in_any_stream_or_subscriber(self, store):
        heard = []
        store.subscribe(heard.append)
        store.append(A, events(A, 1, 1), expected_version=0)
        bad = events(A, 2, 2) + [OrderShipped(order_id=B, version=4)]
        with pytest.raises(ValueError, match="belongs to"):
            store.append(A, bad, expected_version=1)
        assert store.head == 1 and store.stream_version(A) == 1 and len(heard) == 1
        assert [r.version for r in store.read_stream(A)] == [1]

    def test_changing_the_list_append_returned_changes_nothing_stored(self, store):
        first = store.append(A, events(A, 1, 1), expected_version=0)
        first.clear()
        store.append(A, events(A, 2, 1), expected_version=1)
        assert first == [] and [r.version for r in store.read_stream(A)] == [1, 2]
        assert [r.position for r in store.read_all()] == [1, 2]

    def test_subscribers_hear_each_append_once_in_order(self, store):
        heard = []
        unsubscribe = store.subscribe(lambda recorded: heard.append([r.position for r in recorded]))
        store.append(A, events(A, 1, 2), expected_version=0)
        store.append(B, events(B, 1, 1), expected_version=0)
        unsubscribe()
        store.append(B, events(B, 2, 1), expected_version=1)
        assert heard == [[1, 2], [3]]


class TestInMemoryEventStore(EventStoreContract):
    def make_store(self, clock):
        return InMemoryEventStore(clock)


class TestSQLiteEventStore(EventStoreContract):
    @pytest.fixture(autouse=True)
    def database(self, tmp_path):
        self.path, self.opened = tmp_path / "events.sqlite", []
        yield
        for store in self.opened:
            store.close()

    def make_store(self, clock):
        self.opened.append(SQLiteEventStore(self.path, clock))
        return self.opened[-1]


class TestPostgresEventStore(EventStoreContract):
    @pytest.fixture(autouse=True)
    def database(self, postgres_dsn):
        self.dsn, self.opened = postgres_dsn, []
        yield
        for store in self.opened:
            store.close()

    def make_store(self, clock):
        self.opened.append(PostgresEventStore(self.dsn, clock))
        return self.opened[-1]
