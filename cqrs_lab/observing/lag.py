"""Lag: how far the read side trails the write side, measured from an event source.

Two numbers answer "how stale can a query be right now?": events stored but not yet in
every read model (``head - position``), and the age of the oldest of them. Both come
from the event source and the slowest checkpoint alone, so anyone can measure them.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from cqrs_lab.time_and_ids.clock import Clock
from cqrs_lab.write_side.event_source import EventSource


class Lag(NamedTuple):
    """How far the read side trails the write side at one moment.

    A named tuple: immutable like a frozen dataclass, built without a Python ``__init__``
    (the lab takes a reading after every command).
    """

    at: datetime
    """When it was measured (lab clock)."""
    head: int
    """The event store's newest position."""
    position: int
    """The slowest projection's checkpoint."""
    events_behind: int
    """``head - position``: events stored but not yet in every read model."""
    seconds_behind: float
    """Age of the oldest unprojected event (0.0 when caught up)."""
    dead_letters: int = 0
    """Events some projection could not apply and that still wait for a fix."""


def measure_lag(source: EventSource, position: int, clock: Clock, dead_letters: int = 0) -> Lag:
    """The lag of a read side at checkpoint ``position`` behind ``source``, now."""
    head, now = source.head, clock.now()
    oldest = source.read_all(after=position, limit=1) if position < head else []
    seconds = (now - oldest[0].recorded_at).total_seconds() if oldest else 0.0
    return Lag(now, head, position, head - position, max(seconds, 0.0), dead_letters)
