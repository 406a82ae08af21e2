"""An event store in one SQLite file: the embedded, zero-setup way to keep a lab.

Same promises as :class:`~cqrs_lab.InMemoryEventStore` (the contract tests check both), kept
on disk: close Python, open the file again and every event is there, at its position.

Why it stays gap-free with several writers: an append runs in one ``BEGIN IMMEDIATE``
transaction, which SQLite lets only one writer (thread or process) hold at a time. Inside it
the store reads the head, checks the stream's version and writes ``head + 1, head + 2, ...``,
so positions are handed out and made visible in the same order, and a refused append
rolls back without using up a position.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from uuid import UUID

from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.time_and_ids.clock import Clock, SystemClock
from cqrs_lab.write_side.event_codec import EventCodec, check_batch
from cqrs_lab.write_side.event_store import (
    ConcurrencyError,
    DuplicateCommandError,
    RecordedEvent,
    StoreSubscriber,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position    INTEGER PRIMARY KEY,   -- global, gap-free, from 1
    stream_id   TEXT    NOT NULL,
    version     INTEGER NOT NULL,      -- within the stream, from 1
    type        TEXT    NOT NULL,      -- e.g. OrderCreated (for people reading the table)
    topic       TEXT    NOT NULL,      -- module:Class, to rebuild the event
    recorded_at TEXT    NOT NULL,      -- ISO 8601 with offset, on the store's clock
    data        TEXT    NOT NULL,      -- the event's fields as JSON
    UNIQUE (stream_id, version)
);
CREATE TABLE IF NOT EXISTS commands (
    command_id     TEXT    PRIMARY KEY,   -- the command an append carried
    first_position INTEGER NOT NULL,
    count          INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS streams (
    stream_id TEXT    PRIMARY KEY,
    version   INTEGER NOT NULL         -- the stream's newest version
);
"""

_COLUMNS = "position, stream_id, recorded_at, topic, data"


class SQLiteEventStore:
    """An append-only event log in a SQLite database file (``":memory:"`` for a scratch one).

    Safe to share between threads (one connection, one lock) and between processes
    (SQLite's write lock). Close it with :meth:`close` or use it as a context manager.

    Raises:
        ConcurrencyError: from :meth:`append` when ``expected_version`` is stale.
        DuplicateCommandError: from :meth:`append` when ``command_id`` was stored before.
        ValueError: from :meth:`append` when events do not continue the stream.
    """

    def __init__(self, path: str | Path, clock: Clock | None = None) -> None:
        self.path = str(path)
        """Where the database lives."""
        self.clock = clock or SystemClock()
        self._codec = EventCodec()
        self._lock = threading.RLock()
        self._subscribers: list[StoreSubscriber] = []
        self._db = None
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA busy_timeout = 30000")  # wait for another process's write
            if self.path != ":memory:":
                self._db.execute("PRAGMA journal_mode = WAL")  # readers never block the writer
                self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.executescript(SCHEMA)
        except sqlite3.DatabaseError as error:  # say which file: sqlite3 does not
            if self._db is not None:
                self._db.close()
            raise type(error)(f"event store {self.path}: {error}") from error

    def __repr__(self) -> str:
        return f"SQLiteEventStore({self.path!r})"

    @property
    def head(self) -> int:
        """Position of the newest event (0 when empty)."""
        with self._lock:
            return self._db.execute("SELECT coalesce(max(position), 0) FROM events").fetchone()[0]

    def __len__(self) -> int:
        return self.head

    def stream_version(self, stream_id: UUID) -> int:
        """Current version of a stream (0 if it does not exist)."""
        with self._lock:
            row = self._db.execute(
                "SELECT version FROM streams WHERE stream_id = ?", (str(stream_id),)
            ).fetchone()
        return row[0] if row else 0

    def append(
        self,
        stream_id: UUID,
        events: Sequence[DomainEvent],
        *,
        expected_version: int,
        command_id: UUID | None = None,
    ) -> list[RecordedEvent]:
        """Append ``events`` to a stream, all or nothing, and tell subscribers.

        ``expected_version`` is the stream version the writer loaded (0 for a new stream).
        ``command_id``, if given, is stored in the same transaction; a later append with
        the same id raises :class:`DuplicateCommandError`.
        """
        events = list(events)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")  # the one writer, until COMMIT
            try:
                if command_id is not None and (earlier := self.recorded_for(command_id)):
                    raise DuplicateCommandError(command_id, earlier)
                recorded = self._write(stream_id, events, expected_version, command_id)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            for subscriber in list(self._subscribers):
                subscriber(list(recorded))
        return recorded

    def _write(
        self,
        stream_id: UUID,
        events: list[DomainEvent],
        expected_version: int,
        command_id: UUID | None,
    ) -> list[RecordedEvent]:
        key = str(stream_id)
        row = self._db.execute("SELECT version FROM streams WHERE stream_id = ?", (key,)).fetchone()
        actual = row[0] if row else 0
        if actual != expected_version:
            raise ConcurrencyError(stream_id, expected_version, actual)
        check_batch(stream_id, events, expected_version)
        if not events:
            return []
        head = self._db.execute("SELECT coalesce(max(position), 0) FROM events").fetchone()[0]
        now = self.clock.now()
        stamp = now.isoformat()
        rows = []
        for offset, event in enumerate(events, start=1):
            topic, data = self._codec.encode(event)
            rows.append(
                (head + offset, key, event.version, type(event).__name__, topic, stamp, data)
            )
        self._db.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        self._db.execute(
            "INSERT INTO streams VALUES (?, ?) "
            "ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version",
            (key, events[-1].version),
        )
        if command_id is not None:
            self._db.execute(
                "INSERT INTO commands VALUES (?, ?, ?)", (str(command_id), head + 1, len(events))
            )
        return [
            RecordedEvent(position=head + offset, stream_id=stream_id, recorded_at=now, event=event)
            for offset, event in enumerate(events, start=1)
        ]

    def recorded_for(self, command_id: UUID) -> list[RecordedEvent]:
        """What the append carrying ``command_id`` stored ([] if no append carried it)."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM events JOIN commands ON position >= first_position"
                " AND position < first_position + count WHERE command_id = ? ORDER BY position",
                (str(command_id),),
            ).fetchall()
        return self._records(rows)

    def read_all(self, *, after: int = 0, limit: int | None = None) -> list[RecordedEvent]:
        """Events with position > ``after``, oldest first, at most ``limit`` of them."""
        if after < 0:
            raise ValueError(f"after must be >= 0, got {after}")
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?",
                (after, -1 if limit is None else limit),
            ).fetchall()
        return self._records(rows)

    def read_stream(self, stream_id: UUID, *, after_version: int = 0) -> list[RecordedEvent]:
        """One stream's events with version > ``after_version``, in order ([] if unknown)."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM events WHERE stream_id = ? AND version > ? "
                "ORDER BY version",
                (str(stream_id), after_version),
            ).fetchall()
        return self._records(rows, stream_id)

    def stream_ids(self) -> list[UUID]:
        """Every stream id, in order of first append."""
        with self._lock:
            rows = self._db.execute("SELECT stream_id FROM streams ORDER BY rowid").fetchall()
        return [UUID(stream_id) for (stream_id,) in rows]

    def subscribe(self, subscriber: StoreSubscriber) -> Callable[[], None]:
        """Call ``subscriber(recorded_events)`` after every append; returns an unsubscribe."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    def __iter__(self) -> Iterator[RecordedEvent]:
        return iter(self.read_all())

    def close(self) -> None:
        """Close the database connection (the file stays)."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> SQLiteEventStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _records(self, rows: list[tuple], stream_id: UUID | None = None) -> list[RecordedEvent]:
        events = self._codec.decode_all([(row[0], row[3], row[4]) for row in rows])
        times: dict[str, datetime] = {}  # one append's events share their time
        streams: dict[str, UUID] = {}  # and a stream usually has several events
        records = []
        for (position, stream, recorded_at, _, _), event in zip(rows, events):
            when = times.get(recorded_at)
            if when is None:
                when = times[recorded_at] = datetime.fromisoformat(recorded_at)
            if stream_id is None:
                key = streams.get(stream)
                if key is None:
                    key = streams[stream] = UUID(stream)
            records.append(
                RecordedEvent(
                    position=position,
                    stream_id=stream_id or key,
                    recorded_at=when,
                    event=event,
                )
            )
        return records
