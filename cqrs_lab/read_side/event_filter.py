"""Which events of a batch a projection reads: past its checkpoint, not skipped, handled.

Types are decided once per batch, not once per event: a batch of 50,000 events holds a
handful of event types, so ``issubclass`` runs a handful of times.
"""

from __future__ import annotations

from cqrs_lab.read_side.projection import Projection
from cqrs_lab.write_side.event_store import RecordedEvent


def events_for(
    projection: Projection,
    batch: list[RecordedEvent],
    kinds: set[type],
    after: int = 0,
    skipped: set[int] | frozenset[int] = frozenset(),
) -> list[RecordedEvent]:
    """The events of ``batch`` that ``projection`` reads: past ``after``, not in
    ``skipped``, of a type it handles (``kinds`` are the types present in ``batch``)."""
    handled = {kind for kind in kinds if issubclass(kind, projection.handles)}
    if skipped or after >= batch[0].position:
        return [
            r
            for r in batch
            if r.position > after and r.position not in skipped and type(r.event) in handled
        ]
    return batch if handled == kinds else [r for r in batch if type(r.event) in handled]
