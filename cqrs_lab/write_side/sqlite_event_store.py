"""An event store in one SQLite file: the embedded, zero-setup way to keep a lab.

Same promises as :class:`~cqrs_lab.InMemoryEventStore` (the contract tests check both), kept
on disk: close Python, open the file again and every event is there, at its position.

Why it stays gap-free with several writers: an append runs in one ``BEGIN IMMEDIATE``
transaction, which SQLite lets only one writer (thread or process) hold at a time. Inside it
the store reads the head, checks the stream's version and writes ``head + 1, head + 2, ...``,
so positions are handed out and made visible in the same order, and a refused append
rolls back without using up a position.

Each row also keeps the schema version of its event's shape (older ones are upcast on
read, see :class:`~cqrs_lab.write_side.event_codec.EventCodec`), and the table
``event_schemas`` lists the (type, version) pairs stored, so a lab checks its upcasters with
one small query.
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
from cqrs_lab.write_side.append_checks import check_append
from cqrs_lab.write_side.collector import no_gc_pauses
from cqrs_lab.write_side.event_codec import EventCodec, check_stored_versions, recorded_events
from cqrs_lab.write_side.event_store import (
    RecordedEvent,
    StoreSubscriber,
)
from cqrs_lab.write_side.upcasting import Upcasters

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position    INTEGER PRIMARY KEY,   -- global, gap-free, from 1
    stream_id   TEXT    NOT NULL,
    version     INTEGER NOT NULL,      -- within the stream, from 1
    type        TEXT    NOT NULL,      -- e.g. OrderCreated (for people reading the table)
    topic       TEXT    NOT NULL,      -- module:Class, to rebuild the event
    recorded_at TEXT    NOT NULL,      -- ISO 8601 with offset, on the store's clock
    data        TEXT    NOT NULL,      -- the event's fields as JSON
    schema_version INTEGER NOT NULL DEFAULT 0,  -- the shape of data (0: unversioned)
    UNIQUE (stream_id, version)
);
CREATE TABLE IF NOT EXISTS event_schemas (
    type           TEXT    NOT NULL,   -- every (type, schema version) the events hold
    schema_version INTEGER NOT NULL,
    PRIMARY KEY (type, schema_version)
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

_COLUMNS = "position, stream_id, recorded_at, topic, schema_version, data"


class SQLiteEventStore:
    """An append-only event log in a SQLite database file (``":memory:"`` for a scratch one).

    Safe to share between threads (one connection, one lock) and between processes
    (SQLite's write lock). Close it with :meth:`close` or use it as a context manager.
    ``upcasters`` (or :meth:`use_upcasters` later) stamps schema versions and upcasts
    older rows on read.

    Raises:
        ConcurrencyError: from :meth:`append` when ``expected_version`` is stale.
        DuplicateCommandError: from :meth:`append` when ``command_id`` was stored before.
        ValueError: from :meth:`append` when events do not continue the stream.
    """

    def __init__(
        self, path: str | Path, clock: Clock | None = None, upcasters: Upcasters | None = None
    ) -> None:
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
            self._add_version_columns()
            if upcasters is not None:
                self.use_upcasters(upcasters)
        except sqlite3.DatabaseError as error:  # say which file: sqlite3 does not
            if self._db is not None:
                self._db.close()
            raise type(error)(f"event store {self.path}: {error}") from error

    def _add_version_columns(self) -> None:
        """Bring a file written before rows kept schema versions up to date (once)."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(events)")}
        if "schema_version" in columns:
            return
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "ALTER TABLE events ADD COLUMN schema_version INTEGER NOT NULL DEFAULT 0"
            )
            self._db.execute(
                "INSERT OR IGNORE INTO event_schemas SELECT DISTINCT type, 0 FROM events"
            )
            self._db.execute("COMMIT")

    def use_upcasters(self, upcasters: Upcasters) -> None:
        """Stamp and read events with ``upcasters`` from now on, once every stored version
        has a chain of them to today's shape.

        Raises:
            MissingUpcasterError: naming each event type and stored version that cannot be
                read, and how many events it has; nothing changes then.
        """
        with self._lock:
            stored = self._db.execute("SELECT type, schema_version FROM event_schemas").fetchall()
            check_stored_versions(upcasters, stored, self._count)
            self._codec.upcasters = upcasters

    def _count(self, event_type: str, schema_version: int) -> int:
        return self._db.execute(
            "SELECT count(*) FROM events WHERE type = ? AND schema_version = ?",
            (event_type, schema_version),
        ).fetchone()[0]

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
        check_append(
            stream_id,
            events,
            expected_version=expected_version,
            actual_version=row[0] if row else 0,
            command_id=command_id,
            recorded_before=self.recorded_for(command_id) if command_id is not None else (),
        )
        if not events:
            return []
        head = self._db.execute("SELECT coalesce(max(position), 0) FROM events").fetchone()[0]
        now = self.clock.now()
        stamp = now.isoformat()
        rows, schemas = [], set()
        for offset, event in enumerate(events, start=1):
            name, topic, schema_version, data = self._codec.encode_row(event)
            schemas.add((name, schema_version))
            rows.append(
                (head + offset, key, event.version, name, topic, stamp, data, schema_version)
            )
        self._db.executemany(
            "INSERT INTO events (position, stream_id, version, type, topic, recorded_at, data,"
            " schema_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        self._db.executemany("INSERT OR IGNORE INTO event_schemas VALUES (?, ?)", schemas)
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
        return self._read(
            f"SELECT {_COLUMNS} FROM events JOIN commands ON position >= first_position"
            " AND position < first_position + count WHERE command_id = ? ORDER BY position",
            (str(command_id),),
        )

    def read_all(self, *, after: int = 0, limit: int | None = None) -> list[RecordedEvent]:
        """Events with position > ``after``, oldest first, at most ``limit`` of them."""
        if after < 0:
            raise ValueError(f"after must be >= 0, got {after}")
        return self._read(
            f"SELECT {_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?",
            (after, -1 if limit is None else limit),
        )

    def read_stream(self, stream_id: UUID, *, after_version: int = 0) -> list[RecordedEvent]:
        """One stream's events with version > ``after_version``, in order ([] if unknown)."""
        return self._read(
            f"SELECT {_COLUMNS} FROM events WHERE stream_id = ? AND version > ? ORDER BY version",
            (str(stream_id), after_version),
        )

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

    def _read(self, sql: str, params: tuple) -> list[RecordedEvent]:
        """The records a query of ``_COLUMNS`` selects.

        The cyclic garbage collector is paused while a big read builds its objects (they
        form no cycles): otherwise it walks every live object again and again, and that
        walk, not the decoding, took most of a catch-up's time.
        """
        with self._lock, no_gc_pauses():
            rows = self._db.execute(sql, params).fetchall()
            events = self._codec.decode_all(rows)
            times: dict[str, datetime] = {}  # one append's events share their time
            streams: dict[str, UUID] = {}  # and a stream usually has several events
            converted = []
            for position, stream, recorded_at, _, _, _ in rows:
                when = times.get(recorded_at)
                if when is None:
                    when = times[recorded_at] = datetime.fromisoformat(recorded_at)
                key = streams.get(stream)
                if key is None:
                    key = streams[stream] = UUID(stream)
                converted.append((position, key, when))
            return recorded_events(converted, events)
