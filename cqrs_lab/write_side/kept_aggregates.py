"""Aggregates kept in memory between commands, caught up from their stream on each load.

A busy aggregate (a product's stock, reserved by every order) has a long stream; replaying
it on every command makes each command slower than the last. :class:`KeptAggregates`
keeps the copy it last saved and, on the next load, applies only the events appended
since (``read_stream(after_version=...)``): the store stays the only truth, the kept copy
is a shortcut to it. A copy is handed to one caller at a time; a save that fails (a
concurrent writer won) drops it, and the next load replays from the store.

This is the in-memory cousin of a snapshot (notebook 13): same idea, lost on restart.
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar
from uuid import UUID

from cqrs_lab.write_side.aggregate import Aggregate
from cqrs_lab.write_side.event_store import InMemoryEventStore
from cqrs_lab.write_side.repository import AggregateNotFoundError

A = TypeVar("A", bound=Aggregate)


class KeptAggregates(Generic[A]):
    """Load and save one aggregate type, keeping each saved aggregate for its next load.

    Saves carry no command id: use it for an aggregate a handler changes on the side of
    the one its command is about (the order's stock, not the order).
    """

    def __init__(self, event_store: InMemoryEventStore, aggregate_type: type[A]) -> None:
        self.event_store = event_store
        self.aggregate_type = aggregate_type
        self._kept: dict[UUID, A] = {}
        self._lock = threading.Lock()

    def get(self, aggregate_id: UUID) -> A:
        """The aggregate as its stream says now. Raises :class:`AggregateNotFoundError`."""
        with self._lock:
            aggregate = self._kept.pop(aggregate_id, None)  # one caller holds a copy
        if aggregate is None:
            history = self.event_store.read_stream(aggregate_id)
            if not history:
                raise AggregateNotFoundError(self.aggregate_type, aggregate_id)
            return self.aggregate_type.from_history(aggregate_id, (r.event for r in history))
        newer = self.event_store.read_stream(aggregate_id, after_version=aggregate.version)
        aggregate.replay(r.event for r in newer)
        return aggregate

    def save(self, aggregate: A) -> None:
        """Append the pending events, expecting the version loaded; keep the aggregate.

        Raises:
            ConcurrencyError: if the stream moved on; nothing is stored or kept.
        """
        expected = aggregate.saved_version
        self.event_store.append(aggregate.id, aggregate.pending_events, expected_version=expected)
        self.keep(aggregate)

    def keep(self, aggregate: A) -> None:
        """Keep ``aggregate`` (unchanged, or just saved) for the next load."""
        with self._lock:
            self._kept[aggregate.id] = aggregate
