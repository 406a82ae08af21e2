"""Time travel: the read models as they were at any global position.

Because the event log is the source of truth, a read model "as of position N" is simply
the projections run over events 1..N into a scratch DuckDB database. Nothing about the
live lab changes; the answer is computed, not stored.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from cqrs_lab.read_side.projection import Projection
from cqrs_lab.read_side.projector import Projector
from cqrs_lab.read_side.read_db import ReadOnlyConnection
from cqrs_lab.write_side.event_store import InMemoryEventStore, RecordedEvent


class _StoreUpTo:
    """A read-only view of an event store that ends at ``position``."""

    def __init__(self, store: InMemoryEventStore, position: int) -> None:
        self._store = store
        self.head = position
        self.clock = store.clock

    def read_all(self, *, after: int = 0, limit: int | None = None) -> list[RecordedEvent]:
        end = self.head if limit is None else min(self.head, after + limit)
        return self._store.read_all(after=after, limit=max(end - after, 0))


def read_models_as_of(
    event_store: InMemoryEventStore, projections: Iterable[Projection], position: int
) -> ReadOnlyConnection:
    """Project events ``1..position`` into a fresh in-memory DuckDB; returns read-only access.

    Raises:
        ValueError: if ``position`` is negative or beyond the store's head.
    """
    if not 0 <= position <= event_store.head:
        raise ValueError(f"position must be between 0 and {event_store.head}, got {position}")
    connection = duckdb.connect(":memory:")
    view = _StoreUpTo(event_store, position)
    projector = Projector(view, connection, projections=projections, clock=event_store.clock)  # type: ignore[arg-type]
    projector.rebuild()
    return ReadOnlyConnection(connection)
