"""The timeline: a log of what happened, in order, for the event-stream views.

Three kinds of entry, in the Event Modeling colours the presentation layer uses:
``command`` (blue: someone asked), ``event`` (orange: it happened), ``read-model``
(green: a projector transaction made it visible to queries). Rejected commands are kept
too, with their error, because a teaching tool shows failures instead of hiding them.

A lab at defaults records every command and event, so the timeline of a long run holds
millions of entries. It keeps them compactly: one small tuple of plain values per command
and per projector batch, and one per *append* for the events, which the event store
already holds (their position range is enough). ``entries`` builds the
:class:`TimelineEntry` objects when it is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from cqrs_lab.messaging.command_bus import CommandBus
from cqrs_lab.messaging.messages import Command
from cqrs_lab.read_side.projector import BatchCommitted, Projector
from cqrs_lab.time_and_ids.clock import Clock
from cqrs_lab.write_side.event_source import EventSource
from cqrs_lab.write_side.event_store import RecordedEvent


@dataclass(frozen=True)
class TimelineEntry:
    """One thing on the timeline."""

    at: datetime
    kind: str
    """``"command"``, ``"event"`` or ``"read-model"``."""
    name: str
    """Command type, event type, or projection names."""
    position: int | None = None
    """Event position (for events) or last position committed (for read-model updates)."""
    detail: str = ""
    """The rejection error of a command, the stream of an event, the range of a batch."""


#: A kept row: ``(at, kind, name, position, detail)`` for commands and batches, and
#: ``(first_position, count)`` for one append's events (read back from the source).
_Row = tuple


class Timeline:
    """Listens to a command bus, an event store and a projector, and keeps the entries."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.source: EventSource | None = None
        """Where the events on the timeline are read back from (set by :meth:`attach`)."""
        self._rows: list[_Row] = []

    def attach(
        self, command_bus: CommandBus, event_store: EventSource, projector: Projector
    ) -> None:
        """Start recording from these three."""
        self.source = event_store
        command_bus.observers.append(self._on_command)
        event_store.subscribe(self._on_events)
        projector.observers.append(self._on_batch)

    @property
    def entries(self) -> list[TimelineEntry]:
        """Every entry, in order (a new list on each read)."""
        entries: list[TimelineEntry] = []
        for row in self._rows:
            if len(row) == 2:
                first, count = row
                entries += (
                    TimelineEntry(
                        r.recorded_at, "event", r.type, r.position, f"stream {r.stream_id}"
                    )
                    for r in self.source.read_all(after=first - 1, limit=count)
                )
            else:
                entries.append(TimelineEntry(*row))
        return entries

    def _on_command(self, command: Command, events: list | None, error: Exception | None) -> None:
        detail = "" if error is None else f"rejected: {type(error).__name__}: {error}"
        # The lab's own time of handling: the command's timestamp may come from another lab.
        row = (self.clock.now(), "command", type(command).__name__, None, detail)
        # The store told us of this command's events already; the command goes before them.
        self._insert_before_last_events(len(events or []), row)

    def _insert_before_last_events(self, events: int, row: _Row) -> None:
        rows, at = self._rows, len(self._rows)
        while events > 0 and at > 0 and len(rows[at - 1]) == 2:
            first, count = rows[at - 1]
            if count > events:  # the command's events start inside this append: split it
                rows[at - 1 : at] = [(first, count - events), (first + count - events, events)]
                break
            events -= count
            at -= 1
        rows.insert(at, row)

    def _on_events(self, recorded: list[RecordedEvent]) -> None:
        if recorded:
            self._rows.append((recorded[0].position, len(recorded)))

    def _on_batch(self, batch: BatchCommitted) -> None:
        self._rows.append(
            (
                batch.committed_at,
                "read-model",
                ", ".join(batch.projections),
                batch.last_position,
                f"positions {batch.first_position}-{batch.last_position}",
            )
        )

    def frame(self) -> pd.DataFrame:
        """The entries as a DataFrame (columns: at, kind, name, position, detail)."""
        columns = ["at", "kind", "name", "position", "detail"]
        rows = [(e.at, e.kind, e.name, e.position, e.detail) for e in self.entries]
        frame = pd.DataFrame(rows, columns=columns)
        frame["position"] = frame["position"].astype("Int64")
        return frame
