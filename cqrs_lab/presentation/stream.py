"""The event stream as a compact table: one line per event, readable at a glance.

``lab.events()`` keeps every field (full UUIDs, nested addresses) for code to use; this
view is for eyes: short stream ids, the event's key fields on one line, the time of day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

import pandas as pd

from cqrs_lab.observing.frames import event_fields
from cqrs_lab.write_side.event_store import RecordedEvent

STREAM_COLUMNS = ["position", "stream", "version", "type", "key fields", "time"]


def short_id(value: UUID | str) -> str:
    """The first 8 hex digits of a UUID: enough to tell a lab's streams apart."""
    return str(value).replace("-", "")[:8]


def key_fields(recorded: RecordedEvent, names: Mapping[UUID, str] | None = None) -> str:
    """The event's own fields as ``name=value`` pairs, without its stream id.

    Ids in ``names`` (e.g. customers) are shown by name, other UUIDs by :func:`short_id`;
    nested values (an address) are left out, since a key-fields line is for scanning.
    """
    names = names or {}
    parts = []
    for field, value in event_fields(recorded.event).items():
        if isinstance(value, dict | list):
            continue
        if field.endswith("_id"):
            try:
                as_uuid = UUID(str(value))
            except ValueError:
                pass
            else:
                if as_uuid == recorded.stream_id:
                    continue
                value = names.get(as_uuid, short_id(as_uuid))
        parts.append(f"{field}={value}")
    return " ".join(parts)


def stream_table(
    source: Any,
    *,
    after: int = 0,
    last: int | None = None,
    names: Mapping[UUID, str] | None = None,
) -> pd.DataFrame:
    """A compact table of the event stream.

    Args:
        source: a lab (anything with ``event_store``), an event store, or recorded events.
        after: only events with a position greater than this.
        last: only the newest ``last`` events.
        names: UUID -> name for ids to show by name; defaults to a lab's customers.

    Columns: position, stream (short id), version, type, key fields, time (HH:MM:SS on
    the lab's clock). One row per event, oldest first.
    """
    recorded = _recorded(source, after)
    if last is not None:
        recorded = recorded[-last:] if last > 0 else []
    if names is None:
        names = getattr(getattr(source, "catalogue", None), "customers", None)
    rows = [
        (
            r.position,
            short_id(r.stream_id),
            r.version,
            r.type,
            key_fields(r, names),
            r.recorded_at.strftime("%H:%M:%S"),
        )
        for r in recorded
    ]
    return pd.DataFrame(rows, columns=STREAM_COLUMNS).set_index("position")


def _recorded(source: Any, after: int) -> list[RecordedEvent]:
    store = getattr(source, "event_store", source)
    if hasattr(store, "read_all"):
        return store.read_all(after=after)
    return [r for r in _as_iterable(source) if r.position > after]


def _as_iterable(source: Any) -> Iterable[RecordedEvent]:
    if not isinstance(source, Iterable):
        raise TypeError(
            f"stream_table needs a lab, an event store or recorded events, got {type(source).__name__}"
        )
    return source
