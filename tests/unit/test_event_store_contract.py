"""The event store contract: every adapter (in memory, SQLite, PostgreSQL) must pass these
unchanged. Subclass :class:`EventStoreContract` and provide ``make_store(clock)``.

What an adapter must guarantee, in terms of its public API only:

- ``append(stream_id, events, *, expected_version, command_id=None)`` is **one atomic
  step**: the command-id check, the expected-version check, the position and version
  assignment, the write, and the subscribers' notification happen for one append at a time.
  Under any number of threads (or asyncio tasks calling it through ``asyncio.to_thread``):
  positions stay unique and gap-free (1, 2, 3, ...), a stream never gets two events with
  one version, and of several appends expecting the same version exactly one wins and the
  others raise ``ConcurrencyError`` having stored nothing.
- ``command_id`` is a store-level unique key: the first append carrying it stores it with
  its events; any later append carrying it raises ``DuplicateCommandError`` (checked
  *before* the version: a resend is "already done", not a conflict) whose ``recorded`` is
  exactly what the first append stored. ``recorded_for(command_id)`` returns the same
  (``[]`` for an unknown id). An append that fails stores neither events nor its id.
- Subscribers hear each successful append once, in position order.

``YieldingClock`` hands the processor to another thread each time a store asks the time,
which makes a store whose checks and write are not one step lose these races at once.
"""

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor
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
from cqrs_lab.write_side.event_store import DuplicateCommandError

A = UUID("00000000-0000-4000-8000-00000000000a")
B = UUID("00000000-0000-4000-8000-00000000000b")


COMMAND = UUID("00000000-0000-4000-8000-0000000000c1")
THREADS = 8


class YieldingClock(SimulatedClock):
    """A simulated clock that lets another thread run whenever it is asked the time."""

    def now(self):
        os.sched_yield()
        return super().now()


def race(*calls):
    """Run every call at once, one thread each (released together by a barrier).

    Returns each call's result or the exception it raised, in call order.
    """
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        try:
            return call()
        except Exception as error:
            return error

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


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
        return YieldingClock()

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

    def test_an_empty_append_stores_nothing_but_is_checked_like_any_other(self, store):
        store.append(A, events(A, 1, 1), expected_version=0, command_id=COMMAND)
        assert store.append(A, [], expected_version=1) == [] and store.head == 1
        with pytest.raises(ConcurrencyError):
            store.append(A, [], expected_version=0)
        with pytest.raises(DuplicateCommandError):  # checked before the (stale) version
            store.append(A, [], expected_version=0, command_id=COMMAND)
        store.append(B, [], expected_version=0, command_id=B)
        assert store.head == 1 and store.recorded_for(B) == []  # no events: no command kept

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

    # -- command ids ----------------------------------------------------------------------

    def test_a_command_id_is_stored_with_its_append_and_refused_the_second_time(self, store):
        first = store.append(A, events(A, 1, 2), expected_version=0, command_id=COMMAND)
        with pytest.raises(DuplicateCommandError) as caught:
            store.append(B, events(B, 1, 1), expected_version=0, command_id=COMMAND)
        assert caught.value.command_id == COMMAND and caught.value.recorded == first
        assert str(COMMAND) in str(caught.value)
        assert store.head == 2 and store.stream_version(B) == 0
        assert store.recorded_for(COMMAND) == first

    def test_a_duplicate_command_is_reported_as_such_not_as_a_conflict(self, store):
        store.append(A, events(A, 1, 1), expected_version=0, command_id=COMMAND)
        with pytest.raises(DuplicateCommandError):  # the same append again, version now stale
            store.append(A, events(A, 1, 1), expected_version=0, command_id=COMMAND)
        assert store.head == 1

    def test_a_refused_append_does_not_keep_its_command_id(self, store):
        store.append(A, events(A, 1, 1), expected_version=0)
        with pytest.raises(ConcurrencyError):
            store.append(A, events(A, 1, 1), expected_version=0, command_id=COMMAND)
        assert store.recorded_for(COMMAND) == []
        [stored] = store.append(A, events(A, 2, 1), expected_version=1, command_id=COMMAND)
        assert store.recorded_for(COMMAND) == [stored]

    def test_appends_without_a_command_id_are_never_taken_for_resends(self, store):
        store.append(A, events(A, 1, 1), expected_version=0)
        store.append(B, events(B, 1, 1), expected_version=0)
        assert store.head == 2 and store.recorded_for(COMMAND) == []

    # -- concurrency ----------------------------------------------------------------------

    def test_appends_from_many_threads_get_unique_gap_free_positions(self, store):
        streams = [UUID(int=n, version=4) for n in range(1, THREADS + 1)]

        def write(stream):
            return lambda: [
                store.append(stream, events(stream, v, 1), expected_version=v - 1)
                for v in range(1, 21)
            ]

        results = race(*(write(stream) for stream in streams))
        assert not [r for r in results if isinstance(r, Exception)]
        assert [r.position for r in store.read_all()] == list(range(1, THREADS * 20 + 1))
        assert store.head == THREADS * 20
        for stream in streams:
            assert [r.version for r in store.read_stream(stream)] == list(range(1, 21))

    def test_of_threads_racing_for_one_version_exactly_one_wins(self, store):
        for version in range(1, 21):
            batch = events(A, version, 1)
            results = race(
                *(
                    lambda v=version, b=batch: store.append(A, b, expected_version=v - 1)
                    for _ in range(THREADS)
                )
            )
            winners = [r for r in results if not isinstance(r, Exception)]
            assert len(winners) == 1, f"{len(winners)} appends won version {version}"
            assert all(isinstance(r, ConcurrencyError) for r in results if r not in winners)
        assert [r.version for r in store.read_stream(A)] == list(range(1, 21))
        assert [r.position for r in store.read_all()] == list(range(1, 21))

    def test_one_command_id_sent_from_many_threads_is_stored_once(self, store):
        streams = [UUID(int=n, version=4) for n in range(1, THREADS + 1)]
        for round_ in range(10):
            command = UUID(int=1000 + round_, version=4)
            results = race(
                *(
                    lambda s=s, r=round_, c=command: store.append(
                        s, events(s, r + 1, 1), expected_version=r, command_id=c
                    )
                    for s in streams
                )
            )
            winners = [r for r in results if not isinstance(r, Exception)]
            assert len(winners) == 1, f"command {command} stored {len(winners)} times"
            refused = [r for r in results if isinstance(r, DuplicateCommandError)]
            assert len(refused) == THREADS - 1
            assert all(r.recorded == winners[0] for r in refused)
            # Let every stream catch up to the next round's expected version.
            for s in streams:
                if store.stream_version(s) == round_:
                    store.append(s, events(s, round_ + 1, 1), expected_version=round_)
        assert store.head == 10 * THREADS
        assert [r.position for r in store.read_all()] == list(range(1, 10 * THREADS + 1))

    def test_asyncio_tasks_appending_through_threads_keep_the_same_promises(self, store):
        async def main():
            return await asyncio.gather(
                *(
                    asyncio.to_thread(
                        store.append, A, events(A, 1, 1), expected_version=0, command_id=COMMAND
                    )
                    for _ in range(THREADS)
                ),
                return_exceptions=True,
            )

        results = asyncio.run(main())
        assert sum(not isinstance(r, Exception) for r in results) == 1
        assert all(
            isinstance(r, DuplicateCommandError | ConcurrencyError)
            for r in results
            if isinstance(r, Exception)
        )
        assert store.head == 1 and [r.version for r in store.read_stream(A)] == [1]

    def test_subscribers_hear_concurrent_appends_once_each_in_position_order(self, store):
        heard = []
        store.subscribe(lambda recorded: heard.extend(r.position for r in recorded))
        streams = [UUID(int=n, version=4) for n in range(1, THREADS + 1)]
        race(
            *(
                lambda s=s: [
                    store.append(s, events(s, v, 2), expected_version=v - 1)
                    for v in range(1, 20, 2)
                ]
                for s in streams
            )
        )
        assert heard == list(range(1, store.head + 1)) and store.head == THREADS * 20


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
