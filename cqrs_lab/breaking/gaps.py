"""The gap lesson on a real PostgreSQL: why "position > checkpoint" can skip, and the fixes.

A follower (a projector) remembers the last position it read and asks for the rows after it.
That is only safe if no row can become visible *below* what the follower has already seen.
With many writers it can: a writer takes its number at insert and its rows become visible at
commit, so a writer that commits late makes a row appear behind the follower's back.

Notebook 11 runs everything here (its own tables and event type: no domain needed). Each design is a small table and two functions: how a writer
appends (one transaction), and how a follower reads the next rows after its checkpoint.

- ``bigserial``: a plain sequence, no care taken. Followers skip events that commit late.
- ``table lock``: ``LOCK TABLE ... IN EXCLUSIVE MODE`` before the insert (the ``eventsourcing``
  library; Commanded takes an advisory lock to the same end). The next writer waits until the
  previous one committed, so positions become visible in order. :class:`~cqrs_lab.
  PostgresEventStore` does this with a row lock on its one-row ``event_head`` table.
- ``xid + (xid, position)``: writers never wait; every row carries its transaction id, and a
  follower reads only rows of transactions older than the oldest one still open, in
  (transaction id, position) order, with that pair as its checkpoint (Emmett, Watermill).
- ``xid filter only``: the same filter with a checkpoint of position alone. It still skips:
  transaction ids are handed out at a transaction's first write, positions at its insert, so
  a transaction can hold the older id and the newer position.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID, uuid4

import psycopg

from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.write_side.postgres_event_store import PostgresEventStore

#: The tables of the hand-made designs (the lab's store brings its own).
SCHEMA = """
CREATE TABLE IF NOT EXISTS gap_streams (
    stream_id uuid PRIMARY KEY, version integer NOT NULL
);
CREATE TABLE IF NOT EXISTS gap_bigserial (
    position bigserial PRIMARY KEY, stream_id uuid NOT NULL, body text NOT NULL
);
CREATE TABLE IF NOT EXISTS gap_locked (
    position bigserial PRIMARY KEY, stream_id uuid NOT NULL, body text NOT NULL
);
CREATE TABLE IF NOT EXISTS gap_xid (
    position       bigserial PRIMARY KEY,
    transaction_id xid8      NOT NULL DEFAULT pg_current_xact_id(),
    stream_id      uuid      NOT NULL,
    body           text      NOT NULL
);
"""

#: Rows a follower reads per query.
PAGE = 500

#: "Only transactions older than every open one": the composite follower's condition.
_BELOW_OPEN = "transaction_id < pg_snapshot_xmin(pg_current_snapshot())"


def create_tables(dsn: str) -> None:
    """Create the demo tables (idempotent)."""
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(SCHEMA)


# -- the deterministic versions: two writers, one commits late ----------------------------


@dataclass
class LateCommit:
    """What a follower saw when the writer holding the lower position committed last."""

    design: str
    first_read: list[int]
    """Positions the follower read while the slow writer was still open."""
    second_read: list[int]
    """Positions it read after the slow writer committed (from its checkpoint)."""
    stored: list[int]
    """Every position in the table at the end."""

    @property
    def skipped(self) -> list[int]:
        """Stored positions the follower never read."""
        return sorted(set(self.stored) - set(self.first_read) - set(self.second_read))


def late_commit_with_bigserial(dsn: str) -> LateCommit:
    """Slow takes position 1, quick takes 2 and commits, the follower reads, slow commits."""
    create_tables(dsn)
    with (
        psycopg.connect(dsn) as slow,
        psycopg.connect(dsn, autocommit=True) as quick,
        psycopg.connect(dsn, autocommit=True) as follower,
    ):
        follower.execute("TRUNCATE gap_bigserial RESTART IDENTITY")
        slow.execute("INSERT INTO gap_bigserial (stream_id, body) VALUES (%s, 'slow')", (uuid4(),))
        quick.execute(
            "INSERT INTO gap_bigserial (stream_id, body) VALUES (%s, 'quick')", (uuid4(),)
        )
        read = "SELECT position FROM gap_bigserial WHERE position > %s ORDER BY position"
        first = [p for (p,) in follower.execute(read, (0,))]
        slow.commit()
        second = [p for (p,) in follower.execute(read, (max(first, default=0),))]
        stored = [p for (p,) in follower.execute("SELECT position FROM gap_bigserial")]
    return LateCommit("bigserial", first, second, sorted(stored))


def second_writer_waits_for_the_first(dsn: str) -> bool:
    """With :class:`PostgresEventStore`, a second append cannot take a position while the
    first is open: True if it was held back (it gives up after 200 ms of waiting)."""
    store = PostgresEventStore(dsn)
    one, two = uuid4(), uuid4()
    append = "SELECT append_events(%s, 0, NULL, ARRAY['Noted'], %s, now(), %s::json[])"
    topic = f"{__name__}:Noted"
    try:
        with psycopg.connect(dsn) as slow, psycopg.connect(dsn, autocommit=True) as quick:
            slow.execute(append, (one, [topic], [_noted(one, 1).model_dump_json()]))
            quick.execute("SET lock_timeout = '200ms'")
            try:
                quick.execute(append, (two, [topic], [_noted(two, 1).model_dump_json()]))
            except psycopg.errors.LockNotAvailable:
                return True
            return False
    finally:
        store.close()


@dataclass
class XidLateCommit:
    """The transaction-id design, read by both followers, when ids and positions cross."""

    positions_by_xid_order: list[int]
    """Stored positions in transaction-id order: the older transaction holds position 2."""
    position_checkpoint: LateCommit
    composite_checkpoint: LateCommit


def late_commit_with_xid_filter(dsn: str) -> XidLateCommit:
    """Old takes its transaction id first; young inserts (position 1), old inserts (position 2)
    and commits; the followers read; young commits.

    Both followers read only below the oldest open transaction. After the first read, the
    position follower's checkpoint is 2 and it never reads 1; the composite one's is
    (old's id, 2), and (young's id, 1) comes after it.
    """
    create_tables(dsn)
    with (
        psycopg.connect(dsn) as old,
        psycopg.connect(dsn) as young,
        psycopg.connect(dsn, autocommit=True) as follower,
    ):
        follower.execute("TRUNCATE gap_xid RESTART IDENTITY")
        old.execute("SELECT pg_current_xact_id()")  # a first write would do the same
        young.execute("INSERT INTO gap_xid (stream_id, body) VALUES (%s, 'young')", (uuid4(),))
        old.execute("INSERT INTO gap_xid (stream_id, body) VALUES (%s, 'old')", (uuid4(),))
        old.commit()
        by_position, by_pair = PositionFollower(follower), CompositeFollower(follower)
        first = (by_position.read(), by_pair.read())
        young.commit()
        second = (by_position.read(), by_pair.read())
        stored = [p for (p,) in follower.execute("SELECT position FROM gap_xid")]
        crossed = [
            p for (p,) in follower.execute("SELECT position FROM gap_xid ORDER BY transaction_id")
        ]
    return XidLateCommit(
        crossed,
        LateCommit("xid filter only", first[0], second[0], sorted(stored)),
        LateCommit("xid + (xid, position)", first[1], second[1], sorted(stored)),
    )


class PositionFollower:
    """Reads ``gap_xid`` below the oldest open transaction, from a position checkpoint."""

    def __init__(self, connection: psycopg.Connection) -> None:
        self.connection, self.checkpoint = connection, 0

    def read(self) -> list[int]:
        rows = self.connection.execute(
            f"SELECT position FROM gap_xid WHERE position > %s AND {_BELOW_OPEN}"
            " ORDER BY position LIMIT %s",
            (self.checkpoint, PAGE),
        ).fetchall()
        if rows:
            self.checkpoint = rows[-1][0]
        return [p for (p,) in rows]


class CompositeFollower:
    """Reads ``gap_xid`` below the oldest open transaction, from a (xid, position) checkpoint."""

    def __init__(self, connection: psycopg.Connection) -> None:
        self.connection, self.checkpoint = connection, ("0", 0)

    def read(self) -> list[int]:
        rows = self.connection.execute(
            "SELECT transaction_id::text, position FROM gap_xid"
            f" WHERE (transaction_id, position) > (%s::xid8, %s) AND {_BELOW_OPEN}"
            " ORDER BY transaction_id, position LIMIT %s",
            (*self.checkpoint, PAGE),
        ).fetchall()
        if rows:
            self.checkpoint = rows[-1]
        return [p for (_, p) in rows]


# -- the measured version: many writers at once -----------------------------------------------


@dataclass
class Run:
    """One design under many writers: throughput and what each follower missed."""

    design: str
    events: int
    seconds: float
    skipped: dict[str, int] = field(default_factory=dict)
    """Per follower: events stored that it never read."""

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds


class Noted(DomainEvent):
    """The demo's one event: something noted on a stream (the lesson needs no domain)."""

    stream_id: UUID
    note: str

    @property
    def aggregate_id(self) -> UUID:
        return self.stream_id


def _noted(stream: UUID, version: int) -> Noted:
    return Noted(stream_id=stream, note=f"n{version}", version=version)


def _hand_made_writer(table: str, lock: bool) -> Callable[[psycopg.Connection, UUID, int], None]:
    """An append as a client would write it: take the stream's version, then insert events.

    The stream row comes first (it takes the transaction's id), the events after (they take
    positions), each a round trip: other writers run in between, as they do for real.
    """

    def append(connection: psycopg.Connection, stream: UUID, version: int) -> None:
        with connection.transaction():
            if lock:
                connection.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
            connection.execute(
                "INSERT INTO gap_streams VALUES (%s, %s) ON CONFLICT (stream_id)"
                " DO UPDATE SET version = excluded.version",
                (stream, version + 2),
            )
            for offset in (1, 2):
                body = _noted(stream, version + offset).model_dump_json()
                connection.execute(
                    f"INSERT INTO {table} (stream_id, body) VALUES (%s, %s)", (stream, body)
                )

    return append


def many_writers(dsn: str, design: str, *, writers: int = 4, appends_per_writer: int = 150) -> Run:
    """``writers`` threads, one connection each, append 2 events at a time while followers
    read; returns the writing time and what each follower skipped.

    ``design`` is ``"bigserial"``, ``"table lock"``, ``"xid"`` (read by both a position and
    a composite follower) or ``"lab store"`` (:class:`PostgresEventStore`).
    """
    if design not in ("bigserial", "table lock", "xid", "lab store"):
        raise ValueError(f"unknown design {design!r}")
    create_tables(dsn)
    table = {"bigserial": "gap_bigserial", "table lock": "gap_locked", "xid": "gap_xid"}.get(design)
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute("TRUNCATE gap_streams, gap_bigserial, gap_locked, gap_xid RESTART IDENTITY")
    stores: list[PostgresEventStore] = []
    if design == "lab store":
        stores = [PostgresEventStore(dsn) for _ in range(writers + 1)]
        start_head = stores[-1].head
    done = threading.Event()
    seen: dict[str, set[int]] = {}

    def write(writer: int) -> None:
        streams = [uuid4() for _ in range(5)]
        if design == "lab store":
            store = stores[writer]
            for n in range(appends_per_writer):
                stream, version = streams[n % 5], n // 5 * 2
                events = [_noted(stream, version + 1), _noted(stream, version + 2)]
                store.append(stream, events, expected_version=version)
            return
        append = _hand_made_writer(table, lock=design == "table lock")
        with psycopg.connect(dsn, autocommit=True) as connection:
            for n in range(appends_per_writer):
                append(connection, streams[n % 5], n // 5 * 2)

    def follow(name: str, read: Callable[[], list[int]]) -> None:
        got = seen.setdefault(name, set())
        while True:
            finished = done.is_set()  # asked before reading: one more read follows
            batch = read()
            got.update(batch)
            if finished and not batch:
                return

    followers: list[tuple[str, Callable[[], list[int]]]] = []
    connections = []
    if design == "lab store":
        follower = stores[-1]
        checkpoint = [start_head]

        def read_store() -> list[int]:
            batch = follower.read_all(after=checkpoint[0], limit=PAGE)
            if batch:
                checkpoint[0] = batch[-1].position
            return [r.position for r in batch]

        followers.append(("position > checkpoint", read_store))
    elif design == "xid":
        connections = [psycopg.connect(dsn, autocommit=True) for _ in range(2)]
        followers.append(("xid filter, position checkpoint", PositionFollower(connections[0]).read))
        followers.append(("xid filter, (xid, position)", CompositeFollower(connections[1]).read))
    else:
        connections = [psycopg.connect(dsn, autocommit=True)]
        mark = [0]

        def read_table() -> list[int]:
            rows = (
                connections[0]
                .execute(
                    f"SELECT position FROM {table} WHERE position > %s ORDER BY position LIMIT %s",
                    (mark[0], PAGE),
                )
                .fetchall()
            )
            if rows:
                mark[0] = rows[-1][0]
            return [p for (p,) in rows]

        followers.append(("position > checkpoint", read_table))

    readers = [threading.Thread(target=follow, args=f) for f in followers]
    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for reader in readers:
        reader.start()
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    done.set()
    for reader in readers:
        reader.join()

    if design == "lab store":
        stored = {r.position for r in stores[-1].read_all(after=start_head)}
        for store in stores:
            store.close()
    else:
        stored = {p for (p,) in connections[0].execute(f"SELECT position FROM {table}")}
        for connection in connections:
            connection.close()
    expected = writers * appends_per_writer * 2
    if len(stored) != expected:
        raise AssertionError(f"{design}: {len(stored)} events stored, {expected} appended")
    return Run(
        design,
        expected,
        seconds,
        {name: len(stored - seen[name]) for name, _ in followers},
    )
