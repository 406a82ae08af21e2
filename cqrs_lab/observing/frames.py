"""DataFrame views of the event store, for notebooks and widgets."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.write_side.event_store import RecordedEvent

_ENVELOPE = set(DomainEvent.model_fields)


def event_fields(event: DomainEvent) -> dict:
    """The event's own fields (not version or time), JSON-friendly."""
    return event.model_dump(mode="json", exclude=_ENVELOPE)


def events_frame(recorded: Iterable[RecordedEvent]) -> pd.DataFrame:
    """One row per stored event: position, stream_id, version, type, recorded_at, data."""
    rows = [
        (r.position, r.stream_id, r.version, r.type, r.recorded_at, event_fields(r.event))
        for r in recorded
    ]
    columns = ["position", "stream_id", "version", "type", "recorded_at", "data"]
    return pd.DataFrame(rows, columns=columns)
