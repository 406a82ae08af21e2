"""The timeline: a log of what happened, in order, for the event-stream views.

Three kinds of entry, in the Event Modeling colours the presentation layer uses:
``command`` (blue: someone asked), ``event`` (orange: it happened), ``read-model``
(green: a projector transaction made it visible to queries). Rejected commands are kept
too, with their error, because a teaching tool shows failures instead of hiding them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from cqrs_lab.messaging.command_bus import CommandBus
from cqrs_lab.messaging.messages import Command
from cqrs_lab.read_side.projector import BatchCommitted, Projector
from cqrs_lab.time_and_ids.clock import Clock
from cqrs_lab.write_side.event_store import InMemoryEventStore, RecordedEvent


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


class Timeline:
    """Listens to a command bus, an event store and a projector, and keeps the entries."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.entries: list[TimelineEntry] = []

    def attach(
        self, command_bus: CommandBus, event_store: InMemoryEventStore, projector: Projector
    ) -> None:
        """Start recording from these three."""
        command_bus.observers.append(self._on_command)
        event_store.subscribe(self._on_events)
        projector.observers.append(self._on_batch)

    def _on_command(self, command: Command, events: list | None, error: Exception | None) -> None:
        detail = "" if error is None else f"rejected: {type(error).__name__}: {error}"
        # The lab's own time of handling: the command's timestamp may come from another lab.
        entry = TimelineEntry(self.clock.now(), "command", type(command).__name__, None, detail)
        # The store told us of this command's events already; the command goes before them.
        self.entries.insert(len(self.entries) - len(events or []), entry)

    def _on_events(self, recorded: list[RecordedEvent]) -> None:
        for r in recorded:
            self.entries.append(
                TimelineEntry(r.recorded_at, "event", r.type, r.position, f"stream {r.stream_id}")
            )

    def _on_batch(self, batch: BatchCommitted) -> None:
        self.entries.append(
            TimelineEntry(
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
