"""Snapshots: an aggregate's state saved at a version, so a load replays only what followed.

A stream of 10,000 events is 10,000 ``_apply`` calls on every load. A snapshot keeps the
state after version N; loading restores it and replays the events after N. The events stay
the truth: a snapshot can be thrown away at any time and rebuilt from them.

**Why a snapshot carries a version of its own.** It stores the aggregate's *state*, whose
shape is code: rename a field, or fold an event differently, and an old snapshot describes
state the new code would never have computed. Each snapshot records the aggregate class's
``state_version``; a snapshot of another state version is ignored and the stream replayed
from its first event (then snapshotted anew). Events are upcast; snapshots are discarded.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from uuid import UUID

from cqrs_lab.write_side.aggregate import Aggregate
from cqrs_lab.write_side.event_store import InMemoryEventStore
from cqrs_lab.write_side.repository import AggregateNotFoundError

A = TypeVar("A", bound=Aggregate)


@dataclass(frozen=True)
class Snapshot:
    """An aggregate's state after ``version``, in the shape of ``state_version``."""

    aggregate_id: UUID
    version: int
    state_version: int
    state: dict[str, Any]


class SnapshottingRepository(Generic[A]):
    """Loads aggregates from their newest usable snapshot plus the events after it.

    ``every``: take a snapshot whenever a load replayed at least that many events.
    ``replayed`` counts the events the last load applied (what a chart compares).
    """

    def __init__(
        self, event_store: InMemoryEventStore, aggregate_type: type[A], *, every: int = 100
    ) -> None:
        if every < 1:
            raise ValueError(f"every must be >= 1, got {every}")
        self.event_store = event_store
        self.aggregate_type = aggregate_type
        self.every = every
        self.snapshots: dict[UUID, Snapshot] = {}
        self.replayed = 0
        """Events applied by the last :meth:`get`."""

    def get(self, aggregate_id: UUID) -> A:
        """The aggregate as its stream says now. Raises :class:`AggregateNotFoundError`."""
        snapshot = self.snapshots.get(aggregate_id)
        state_version = getattr(self.aggregate_type, "state_version", 1)
        if snapshot is not None and snapshot.state_version == state_version:
            aggregate = self.aggregate_type.__new__(self.aggregate_type)
            aggregate.__dict__.update(copy.deepcopy(snapshot.state))
            aggregate._pending_events = []
        else:
            aggregate = self.aggregate_type.from_history(aggregate_id, [])
        newer = self.event_store.read_stream(aggregate_id, after_version=aggregate.version)
        if not newer and aggregate.version == 0:
            raise AggregateNotFoundError(self.aggregate_type, aggregate_id)
        aggregate.replay(r.event for r in newer)
        self.replayed = len(newer)
        if self.replayed >= self.every:
            self.take_snapshot(aggregate)
        return aggregate

    def take_snapshot(self, aggregate: A) -> Snapshot:
        """Keep ``aggregate``'s state now (its unsaved events excluded: save first)."""
        if aggregate.has_pending_events:
            raise ValueError(f"{type(aggregate).__name__} {aggregate.id} has unsaved events")
        state = {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}
        snapshot = Snapshot(
            aggregate.id,
            aggregate.version,
            getattr(type(aggregate), "state_version", 1),
            copy.deepcopy(state),
        )
        self.snapshots[aggregate.id] = snapshot
        return snapshot
