"""Time travel: the read models as they were at any global position.

Because the event log is the source of truth, a read model "as of position N" is simply
the projections run over events 1..N into a scratch DuckDB database. Nothing about the
live lab changes; the answer is computed, not stored. Any event source will do.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable

import duckdb

from cqrs_lab.read_side.projection import Projection
from cqrs_lab.read_side.projector import Projector
from cqrs_lab.read_side.read_db import ReadOnlyConnection
from cqrs_lab.time_and_ids.clock import Clock
from cqrs_lab.write_side.event_source import EventSource, SourceUpTo


def read_models_as_of(
    event_store: EventSource,
    projections: Iterable[Projection],
    position: int,
    *,
    clock: Clock | None = None,
) -> ReadOnlyConnection:
    """Project events ``1..position`` into a fresh in-memory DuckDB; returns read-only access.

    ``clock`` stamps the scratch checkpoints (default: the source's ``clock`` if it has one).

    Raises:
        TypeError: if ``position`` is not a whole number (``1.5``, ``"3"``, ``None``).
        ValueError: if ``position`` is negative or beyond the store's head.
    """
    if isinstance(position, bool):
        raise TypeError(f"position must be a whole number, got {position!r}")
    try:
        position = operator.index(position)
    except TypeError:
        raise TypeError(
            f"position must be a whole number (an event position), got {position!r}"
        ) from None
    view = SourceUpTo(event_store, position)
    connection = duckdb.connect(":memory:")
    projector = Projector(
        view,
        connection,
        projections=projections,
        clock=clock or getattr(event_store, "clock", None),
    )
    projector.rebuild()
    return ReadOnlyConnection(connection)
