"""Many writers, one order of events: a follower of PostgresEventStore never skips one.

A follower (a projector) remembers the last position it applied and asks for "position >
checkpoint". That is only safe if no event can become visible *below* a position the
follower has already seen. With a plain ``bigserial`` it can: the number is taken at insert,
the row appears at commit. The first test shows that hazard on a real server; the others
show that the store's appends are serialised, so it cannot happen there.
"""

import threading
from uuid import UUID

import psycopg
import pytest

from cqrs_lab import PostgresEventStore
from cqrs_lab.orders import OrderCancelled

WRITERS = 4
APPENDS_PER_WRITER = 250
EVENTS_PER_APPEND = 2


def cancelled(stream, first_version, count=EVENTS_PER_APPEND):
    return [
        OrderCancelled(order_id=stream, reason=f"r{v}", version=v)
        for v in range(first_version, first_version + count)
    ]


def streams_of(writer):
    return [UUID(int=writer * 1000 + n, version=4) for n in range(10)]


def test_with_a_plain_bigserial_a_follower_skips_an_event_that_commits_late(postgres_dsn):
    with psycopg.connect(postgres_dsn, autocommit=True) as setup:
        setup.execute("CREATE TABLE naive (position bigserial PRIMARY KEY, body text)")
    with (
        psycopg.connect(postgres_dsn) as slow,
        psycopg.connect(postgres_dsn, autocommit=True) as quick,
        psycopg.connect(postgres_dsn, autocommit=True) as follower,
    ):
        slow.execute("INSERT INTO naive (body) VALUES ('slow')")  # takes 1, not committed
        quick.execute("INSERT INTO naive (body) VALUES ('quick')")  # takes 2, committed
        seen = follower.execute("SELECT position FROM naive WHERE position > 0").fetchall()
        checkpoint = max(position for (position,) in seen)
        slow.commit()  # 1 appears now, below the follower's checkpoint
        later = follower.execute(
            "SELECT position FROM naive WHERE position > %s", (checkpoint,)
        ).fetchall()
        stored = follower.execute("SELECT count(*) FROM naive").fetchone()[0]
    assert seen == [(2,)] and later == [] and stored == 2  # position 1 was never seen


def test_an_open_append_holds_back_the_next_so_positions_appear_in_order(postgres_dsn):
    A, B = UUID(int=0xA, version=4), UUID(int=0xB, version=4)
    store = PostgresEventStore(postgres_dsn)
    append = "SELECT append_events(%s, 0, NULL, ARRAY['OrderCancelled'], %s, now(), %s::json[])"
    topic, data = "cqrs_lab.orders.events:OrderCancelled", cancelled(A, 1, 1)[0].model_dump_json()
    with psycopg.connect(postgres_dsn) as slow:
        slow.execute(append, (A, [topic], [data]))  # position 1, not committed yet
        assert store.head == 0 and store.read_all() == []
        with psycopg.connect(postgres_dsn, autocommit=True) as quick:
            quick.execute("SET lock_timeout = '200ms'")
            with pytest.raises(psycopg.errors.LockNotAvailable):  # no position 2 before 1
                quick.execute(append, (B, [topic], [data.replace(str(A), str(B))]))
        slow.commit()
    store.append(B, cancelled(B, 1, 1), expected_version=0)
    assert [(r.position, r.stream_id) for r in store.read_all()] == [(1, A), (2, B)]
    store.close()


def test_a_follower_misses_nothing_while_four_writers_append(postgres_dsn):
    # One store object per writer, as separate processes would have.
    writers = [PostgresEventStore(postgres_dsn) for _ in range(WRITERS)]
    follower = PostgresEventStore(postgres_dsn)
    writing_done = threading.Event()
    followed, skipped = [], []

    def write(store, writer):
        streams = streams_of(writer)
        for n in range(APPENDS_PER_WRITER):
            stream, round_ = streams[n % 10], n // 10
            first = round_ * EVENTS_PER_APPEND + 1
            store.append(stream, cancelled(stream, first), expected_version=first - 1)

    def follow():
        checkpoint = 0
        while True:
            done = writing_done.is_set()  # asked before reading: a last read follows
            batch = follower.read_all(after=checkpoint, limit=300)
            for recorded in batch:
                if recorded.position != checkpoint + 1:
                    skipped.append((checkpoint, recorded.position))
                followed.append(recorded)
                checkpoint = recorded.position
            if done and not batch:
                return

    threads = [threading.Thread(target=write, args=(s, w)) for w, s in enumerate(writers)]
    reader = threading.Thread(target=follow)
    for thread in [reader, *threads]:
        thread.start()
    for thread in threads:
        thread.join()
    writing_done.set()
    reader.join()

    total = WRITERS * APPENDS_PER_WRITER * EVENTS_PER_APPEND
    assert skipped == []
    assert (
        [r.position for r in followed]
        == list(range(1, total + 1))
        == [r.position for r in follower.read_all()]
    )
    versions = APPENDS_PER_WRITER // 10 * EVENTS_PER_APPEND
    assert sorted((r.stream_id, r.version) for r in followed) == sorted(
        (stream, version)
        for writer in range(WRITERS)
        for stream in streams_of(writer)
        for version in range(1, versions + 1)
    )
    for store in [*writers, follower]:
        store.close()
