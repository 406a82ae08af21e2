"""The event-source port: what the read side needs from an event store, and nothing more.

The projector, time travel, the consistency check and blue-green rebuilds only ever *read*
the global log: "what is the newest position?" and "give me the events after position N".
They depend on this small protocol, not on :class:`~cqrs_lab.InMemoryEventStore`, so

- any event store that keeps a gap-free global position (in memory, SQLite, PostgreSQL)
  plugs into the read side without a change to the projector;
- a fault is a *wrapper* around a source (a transport that duplicates or reorders, storage
  that returns a damaged event), never a write into a store's private fields;
- a view of a store "up to position N" (time travel) is just another source.

The contract an adapter promises (the event-store contract tests check it):

- positions are global, start at 1 and have no gaps: the events after ``after`` are exactly
  ``after + 1, after + 2, ...`` up to ``head``;
- ``read_all`` returns them oldest first and never more than ``limit``;
- an event, once returned at a position, is returned at that position again (append-only).

A wrapper (a view, a faulty transport) keeps the source it wraps in a ``source`` attribute,
as :class:`SourceUpTo` does, so whatever is recorded about a store (say, damage done on
purpose by :func:`cqrs_lab.tamper_event`) is found through any number of wrappers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from cqrs_lab.write_side.event_store import RecordedEvent


@runtime_checkable
class EventSource(Protocol):
    """A readable, append-only log of :class:`RecordedEvent` with gap-free global positions."""

    @property
    def head(self) -> int:
        """Position of the newest event (0 when the log is empty)."""
        ...

    def read_all(self, *, after: int = 0, limit: int | None = None) -> Sequence[RecordedEvent]:
        """Events with position > ``after``, oldest first, at most ``limit`` of them.

        Raises:
            ValueError: if ``after`` is negative.
        """
        ...


class SourceUpTo:
    """A view of ``source`` that ends at ``position``: the log as it was back then.

    Time travel and the consistency check run a scratch projector over one of these.

    Raises:
        ValueError: if ``position`` is negative or beyond ``source.head``.
    """

    def __init__(self, source: EventSource, position: int) -> None:
        if not 0 <= position <= source.head:
            raise ValueError(f"position must be between 0 and {source.head}, got {position}")
        self.source = source
        """The source this view reads from."""
        self.head = position
        """The last position this view shows."""

    def read_all(self, *, after: int = 0, limit: int | None = None) -> Sequence[RecordedEvent]:
        end = self.head if limit is None else min(self.head, after + limit)
        if end <= after:
            return []
        return self.source.read_all(after=after, limit=end - after)
