"""Checking an append: the rules every event store applies, in the order it applies them.

An append is refused, and stores nothing, for the first of these that holds:

1. its ``command_id`` was stored before: :class:`DuplicateCommandError`, carrying what the
   first append stored (a resend is "already done", so this is checked before the version);
2. the stream is not at ``expected_version``: :class:`ConcurrencyError`, naming the stream,
   the expected and the actual version;
3. an event does not continue the stream (its version is not the next one, or it belongs to
   another stream): ``ValueError`` naming the event type, its version or aggregate, and the
   stream.

The contract tests hold every store to this. A store checks what it can where it can: the
SQLite store runs :func:`check_append` inside its write transaction; the PostgreSQL store
checks the events (:func:`check_events`) before it calls its server-side append, which
checks 1 and 2 under its lock and reports them back as SQLSTATEs that become the same
errors here.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.write_side.event_store import (
    ConcurrencyError,
    DuplicateCommandError,
    RecordedEvent,
)


def check_append(
    stream_id: UUID,
    events: Sequence[DomainEvent],
    *,
    expected_version: int,
    actual_version: int,
    command_id: UUID | None = None,
    recorded_before: Sequence[RecordedEvent] = (),
) -> None:
    """Raise what the store must raise for this append, or nothing if it may be written.

    ``actual_version`` is the stream's version now, and ``recorded_before`` what an earlier
    append carrying ``command_id`` stored (empty if none did).

    Raises:
        DuplicateCommandError, ConcurrencyError, ValueError: the first rule broken, above.
    """
    if command_id is not None and recorded_before:
        raise DuplicateCommandError(command_id, list(recorded_before))
    if actual_version != expected_version:
        raise ConcurrencyError(stream_id, expected_version, actual_version)
    check_events(stream_id, events, expected_version)


def check_events(stream_id: UUID, events: Sequence[DomainEvent], expected_version: int) -> None:
    """Refuse a batch that does not continue ``stream_id`` from ``expected_version``.

    The same rule and wording as :class:`~cqrs_lab.InMemoryEventStore`, for the stores that
    check a whole batch before they write any of it.

    Raises:
        ValueError: an event's version is not the next one, or it belongs to another stream.
    """
    version = expected_version
    for event in events:
        version += 1
        if event.version != version:
            raise ValueError(
                f"{type(event).__name__} has version {event.version}; stream {stream_id} "
                f"expects {version}"
            )
        if event.aggregate_id != stream_id:
            raise ValueError(
                f"{type(event).__name__} belongs to {event.aggregate_id}, not stream {stream_id}"
            )
