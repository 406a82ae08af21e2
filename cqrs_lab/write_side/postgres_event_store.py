"""An event store in PostgreSQL (psycopg 3): where real event stores live.

Same promises as :class:`~cqrs_lab.InMemoryEventStore` (the contract tests check both), for
many threads and processes writing at once.

**Why a follower never skips an event.** With a plain ``bigserial`` position, a writer gets
its number at insert time but its rows become visible at commit: position 8 can commit
before position 7, and a follower that reads "position > 7" after 8 appeared never sees 7.
This store serialises appends instead, as the ``eventsourcing`` library does: every append
first updates the one row of ``event_head`` (the counter of positions), and PostgreSQL holds
that row lock until the append commits. The next writer gets its positions only after the
previous one is visible, so positions become visible in order and a follower's "position >
checkpoint" is safe. The whole append is one call of a server-side function, so the lock is
held for the function and its commit only, never across a round trip to Python; and a
refused append rolls the counter back, so positions stay 1, 2, 3, ... with no holes.

Each row also keeps the schema version of its event's shape (older ones are upcast on
read, see :class:`~cqrs_lab.write_side.event_codec.EventCodec`), and the table
``event_schemas`` lists the (type, version) pairs stored, so a lab checks its upcasters with
one small query.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.time_and_ids.clock import Clock, SystemClock
from cqrs_lab.write_side.append_checks import check_append, check_events
from cqrs_lab.write_side.collector import no_gc_pauses
from cqrs_lab.write_side.event_codec import (
    EncodedEvent,
    EventCodec,
    check_stored_versions,
    recorded_events,
)
from cqrs_lab.write_side.event_store import (
    ConcurrencyError,
    DuplicateCommandError,
    RecordedEvent,
    StoreSubscriber,
)
from cqrs_lab.write_side.upcasting import Upcasters

#: The SQLSTATE the append function raises for a stale expected version (its message is the
#: stream's actual version), and the one for a command id it already holds.
STALE_VERSION = "CQ409"
DUPLICATE_COMMAND = "CQ208"

#: The channel every append notifies (payload: the new head) when it commits. A wake-up for
#: followers in other processes (``LISTEN cqrs_lab_events``), never the data: they re-read
#: the log from their checkpoint, so a notification lost or merged loses nothing.
NOTIFY_CHANNEL = "cqrs_lab_events"

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS events (
    position    bigint      PRIMARY KEY,    -- global, gap-free, from 1
    stream_id   uuid        NOT NULL,
    version     integer     NOT NULL,       -- within the stream, from 1
    type        text        NOT NULL,       -- e.g. OrderCreated (for people reading the table)
    topic       text        NOT NULL,       -- module:Class, to rebuild the event
    recorded_at timestamptz NOT NULL,       -- on the store's clock
    data        json        NOT NULL,       -- the event's fields
    UNIQUE (stream_id, version)
);
-- Added after the first tables were made: a database of then gets it here (checked first:
-- ALTER TABLE would lock the table on every store's start).
DO $do$ BEGIN
    IF NOT EXISTS (SELECT FROM information_schema.columns WHERE table_schema = current_schema()
                   AND table_name = 'events' AND column_name = 'schema_version') THEN
        ALTER TABLE events  -- the shape of data (0: unversioned)
            ADD COLUMN schema_version integer NOT NULL DEFAULT 0;
    END IF;
END $do$;
CREATE TABLE IF NOT EXISTS event_schemas (
    type           text    NOT NULL,            -- every (type, schema version) events hold
    schema_version integer NOT NULL,
    PRIMARY KEY (type, schema_version)
);
INSERT INTO event_schemas SELECT DISTINCT type, schema_version FROM events
WHERE NOT EXISTS (SELECT FROM event_schemas) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS event_streams (
    stream_id      uuid    PRIMARY KEY,
    version        integer NOT NULL,        -- the stream's newest version
    first_position bigint  NOT NULL
);
CREATE TABLE IF NOT EXISTS event_head (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    position bigint  NOT NULL               -- the newest committed position
);
INSERT INTO event_head VALUES (true, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS event_commands (
    command_id     uuid    PRIMARY KEY,     -- the command an append carried
    first_position bigint  NOT NULL,
    count          integer NOT NULL
);

DROP FUNCTION IF EXISTS append_events(uuid, integer, uuid, text[], text[], timestamptz, json[]);
CREATE OR REPLACE FUNCTION append_events(
    p_stream uuid, p_expected integer, p_command uuid, p_types text[], p_topics text[],
    p_recorded_at timestamptz, p_data json[], p_versions integer[] DEFAULT NULL  -- NULL: 0
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    n      integer := cardinality(p_data);
    actual integer;
    base   bigint;
BEGIN
    -- Take the next n positions. The row lock serialises appends until this one commits.
    UPDATE event_head SET position = position + n RETURNING position - n INTO base;
    -- A command stored before is "already done" (checked before the version, as in memory).
    IF p_command IS NOT NULL
       AND EXISTS (SELECT FROM event_commands WHERE command_id = p_command) THEN
        RAISE EXCEPTION USING ERRCODE = '{DUPLICATE_COMMAND}', MESSAGE = p_command::text;
    END IF;
    -- Optimistic concurrency, checked under the lock (a fresh snapshot per statement).
    SELECT version INTO actual FROM event_streams WHERE stream_id = p_stream;
    actual := coalesce(actual, 0);
    IF actual <> p_expected THEN
        RAISE EXCEPTION USING ERRCODE = '{STALE_VERSION}', MESSAGE = actual::text;
    END IF;
    INSERT INTO events (position, stream_id, version, type, topic, recorded_at, data,
                        schema_version)
    SELECT base + i, p_stream, p_expected + i, p_types[i], p_topics[i], p_recorded_at, p_data[i],
           coalesce(p_versions[i], 0)
    FROM generate_subscripts(p_data, 1) AS i;
    INSERT INTO event_streams VALUES (p_stream, p_expected + n, base + 1)
    ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version;
    IF p_command IS NOT NULL THEN
        INSERT INTO event_commands VALUES (p_command, base + 1, n);
    END IF;
    -- Delivered at commit, and only if it commits.
    PERFORM pg_notify('{NOTIFY_CHANNEL}', (base + n)::text);
    RETURN base + 1;
END $$;
"""

if TYPE_CHECKING:
    import psycopg

#: Idle connections a store keeps for its next statements (more are closed when returned).
MAX_IDLE_CONNECTIONS = 8

_COLUMNS = "position, stream_id, recorded_at, topic, schema_version, data::text"


class PostgresEventStore:
    """An append-only event log in a PostgreSQL database, given its connection string.

    Creates its tables if they are missing. Safe to share between threads: each statement
    takes a pooled connection of its own. Several store objects or processes may append to
    one database at once; :meth:`close` closes the idle connections. ``upcasters`` (or
    :meth:`use_upcasters` later) stamps schema versions and upcasts older rows on read.

    Raises:
        ConcurrencyError: from :meth:`append` when ``expected_version`` is stale.
        DuplicateCommandError: from :meth:`append` when ``command_id`` was stored before.
        ValueError: from :meth:`append` when events do not continue the stream.
    """

    def __init__(
        self, dsn: str, clock: Clock | None = None, upcasters: Upcasters | None = None
    ) -> None:
        psycopg = _import_psycopg()
        self.dsn = dsn
        """The connection string (``postgresql://...`` or ``host=... dbname=...``)."""
        self.clock = clock or SystemClock()
        self._psycopg = psycopg
        self._codec = EventCodec()
        self._idle: list[psycopg.Connection] = []
        self._subscribers: list[StoreSubscriber] = []
        self._schemas_listed: set[tuple[str, int]] = set()  # in event_schemas, as far as we know
        self._append_lock = threading.RLock()  # re-entrant: a subscriber may append
        with psycopg.connect(dsn, autocommit=True) as setup, setup.transaction():
            # Two processes creating the tables at once would collide: one at a time.
            setup.execute("SELECT pg_advisory_xact_lock(hashtext('cqrs_lab schema'))")
            setup.execute(SCHEMA)
        if upcasters is not None:
            self.use_upcasters(upcasters)

    def __repr__(self) -> str:
        # Never the DSN itself: it may hold a password.
        parts = self._psycopg.conninfo.conninfo_to_dict(self.dsn)
        where = " ".join(
            f"{key}={parts[key]}" for key in ("host", "port", "dbname") if key in parts
        )
        return f"PostgresEventStore({where!r})"

    def _query(self, sql: str, params: tuple = (), *, binary: bool = False) -> list[tuple]:
        """Run one statement (its own transaction: autocommit) and return its rows, sent by
        the server in its binary format if ``binary``, else as text.

        Connections are pooled, not kept per thread: a thread takes an idle one or opens
        one, and gives it back, so short-lived threads never pile up open connections.
        """
        try:
            connection = self._idle.pop()
        except IndexError:
            connection = self._psycopg.connect(self.dsn, autocommit=True)
            connection.execute("SET TIME ZONE 'UTC'")  # times come back in UTC, as appended
        try:
            cursor = connection.cursor(binary=binary).execute(sql, params)
            return cursor.fetchall() if cursor.description else []
        finally:
            if connection.broken or len(self._idle) >= MAX_IDLE_CONNECTIONS:
                connection.close()
            else:
                self._idle.append(connection)

    def use_upcasters(self, upcasters: Upcasters) -> None:
        """Stamp and read events with ``upcasters`` from now on, once every stored version
        has a chain of them to today's shape.

        Raises:
            MissingUpcasterError: naming each event type and stored version that cannot be
                read, and how many events it has; nothing changes then.
        """
        stored = self._query("SELECT type, schema_version FROM event_schemas")
        check_stored_versions(upcasters, stored, self._count)
        self._codec.upcasters = upcasters

    def _count(self, event_type: str, schema_version: int) -> int:
        return self._query(
            "SELECT count(*) FROM events WHERE type = %s AND schema_version = %s",
            (event_type, schema_version),
        )[0][0]

    @property
    def head(self) -> int:
        """Position of the newest event (0 when empty)."""
        return self._query("SELECT position FROM event_head")[0][0]

    def __len__(self) -> int:
        return self.head

    def stream_version(self, stream_id: UUID) -> int:
        """Current version of a stream (0 if it does not exist)."""
        rows = self._query("SELECT version FROM event_streams WHERE stream_id = %s", (stream_id,))
        return rows[0][0] if rows else 0

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
        if not events:  # nothing to write: the checks need no lock
            check_append(
                stream_id,
                events,
                expected_version=expected_version,
                actual_version=self.stream_version(stream_id),
                command_id=command_id,
                recorded_before=self.recorded_for(command_id) if command_id is not None else (),
            )
            return []
        # The events first, here; the command id and the version under the server's lock
        # (append_events), whose refusals become the same errors below.
        check_events(stream_id, events, expected_version)
        encoded = [self._codec.encode_row(event) for event in events]
        # One append at a time per store object, so its subscribers hear appends in position
        # order (PostgreSQL serialises appends anyway: this only queues them in Python).
        with self._append_lock:
            return self._append(stream_id, events, expected_version, command_id, encoded)

    def _append(
        self,
        stream_id: UUID,
        events: list[DomainEvent],
        expected_version: int,
        command_id: UUID | None,
        encoded: list[EncodedEvent],
    ) -> list[RecordedEvent]:
        now = self.clock.now()
        self._list_schemas({(row.type, row.schema_version) for row in encoded})
        try:
            [(first,)] = self._query(
                "SELECT append_events(%s, %s, %s, %s, %s, %s, %s::json[], %s)",
                (
                    stream_id,
                    expected_version,
                    command_id,
                    [row.type for row in encoded],
                    [row.topic for row in encoded],
                    now,
                    [row.data for row in encoded],
                    [row.schema_version for row in encoded],
                ),
            )
        except self._psycopg.Error as error:
            if error.sqlstate == STALE_VERSION:
                actual = int(error.diag.message_primary or 0)
                raise ConcurrencyError(stream_id, expected_version, actual) from None
            if error.sqlstate == DUPLICATE_COMMAND:
                raise DuplicateCommandError(command_id, self.recorded_for(command_id)) from None
            raise
        recorded = [
            RecordedEvent(position=first + offset, stream_id=stream_id, recorded_at=now, event=e)
            for offset, e in enumerate(events)
        ]
        for subscriber in list(self._subscribers):
            subscriber(list(recorded))
        return recorded

    def _list_schemas(self, schemas: set[tuple[str, int]]) -> None:
        """Add (type, version) pairs to ``event_schemas`` before their first append.

        Once per pair and store object, outside the append: the append's lock is held for
        its own rows only. A pair listed by an append that then fails lists a version this
        lab writes anyway, which its own upcasters always read.
        """
        new = schemas - self._schemas_listed
        if new:
            types, versions = zip(*sorted(new))
            self._query(
                "INSERT INTO event_schemas SELECT * FROM unnest(%s::text[], %s::integer[])"
                " ON CONFLICT DO NOTHING",
                (list(types), list(versions)),
            )
            self._schemas_listed |= new

    def recorded_for(self, command_id: UUID) -> list[RecordedEvent]:
        """What the append carrying ``command_id`` stored ([] if no append carried it)."""
        return self._read(
            f"SELECT {_COLUMNS} FROM events JOIN event_commands ON position >= first_position"
            " AND position < first_position + count WHERE command_id = %s ORDER BY position",
            (command_id,),
        )

    def read_all(self, *, after: int = 0, limit: int | None = None) -> list[RecordedEvent]:
        """Events with position > ``after``, oldest first, at most ``limit`` of them."""
        if after < 0:
            raise ValueError(f"after must be >= 0, got {after}")
        return self._read(
            f"SELECT {_COLUMNS} FROM events WHERE position > %s ORDER BY position LIMIT %s",
            (after, limit),
        )

    def read_stream(self, stream_id: UUID, *, after_version: int = 0) -> list[RecordedEvent]:
        """One stream's events with version > ``after_version``, in order ([] if unknown)."""
        return self._read(
            f"SELECT {_COLUMNS} FROM events WHERE stream_id = %s AND version > %s ORDER BY version",
            (stream_id, after_version),
        )

    def stream_ids(self) -> list[UUID]:
        """Every stream id, in order of first append."""
        rows = self._query("SELECT stream_id FROM event_streams ORDER BY first_position")
        return [stream_id for (stream_id,) in rows]

    def subscribe(self, subscriber: StoreSubscriber) -> Callable[[], None]:
        """Call ``subscriber(recorded_events)`` after every append this object makes.

        Returns an unsubscribe. Appends by other processes are not heard: read the log
        from a checkpoint for those.
        """
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    def __iter__(self) -> Iterator[RecordedEvent]:
        return iter(self.read_all())

    def close(self) -> None:
        """Close every connection this store opened (the data stays in the database)."""
        while self._idle:
            self._idle.pop().close()

    def __enter__(self) -> PostgresEventStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _read(self, sql: str, params: tuple) -> list[RecordedEvent]:
        """The records a query of ``_COLUMNS`` selects.

        The cyclic garbage collector is paused while a big read builds its objects (they
        form no cycles): otherwise it walks every live object again and again, and that
        walk, not the decoding, took most of a catch-up's time.
        """
        with no_gc_pauses():
            rows = self._query(sql, params, binary=True)
            return recorded_events(rows, self._codec.decode_all(rows))


def _import_psycopg():
    """psycopg, which only the ``postgres`` extra installs (so ``import cqrs_lab`` never needs it)."""
    try:
        import psycopg
    except ImportError as missing:
        raise ImportError(
            "PostgresEventStore needs psycopg 3: pip install -e '.[postgres]'"
        ) from missing
    return psycopg
