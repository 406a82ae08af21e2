"""The lag monitor: the seed's "monitor and alert on projection delay", made runnable.

Call :meth:`LagMonitor.sample` whenever you want a reading (the lab does it after every
command and every projector commit); each reading past a threshold is an alert.

A lab at defaults takes a reading per command, so a long run keeps hundreds of thousands
of them. They are kept as columns of plain numbers (:mod:`array`), a few dozen bytes per
reading and nothing for the garbage collector to walk; ``samples`` and ``alerts`` hand
out :class:`Lag` and :class:`LagAlert` objects when they are read.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import overload

import pandas as pd

from cqrs_lab.observing.lag import Lag
from cqrs_lab.read_side.projector import Projector
from cqrs_lab.write_side.event_source import EventSource

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class LagAlert:
    """A reading that crossed a threshold."""

    lag: Lag
    reason: str


class LagMonitor:
    """Samples a projector's lag and raises alerts past the thresholds (None: no alert)."""

    def __init__(
        self,
        projector: Projector,
        *,
        max_events_behind: int | None = None,
        max_seconds_behind: float | None = None,
    ) -> None:
        self.projector = projector
        self.max_events_behind = max_events_behind
        self.max_seconds_behind = max_seconds_behind
        # One column per Lag field; a reading is one index across them.
        self._at = array("q")  # microseconds since 1970 (UTC)
        self._head = array("q")
        self._position = array("q")
        self._seconds = array("d")
        self._dead_letters = array("q")
        # Alerts: the reading's index, and which threshold (kind, value) it crossed.
        self._alerted = array("q")
        self._crossed = array("I")
        self._thresholds: list[tuple[str, float]] = []
        # The oldest unprojected event's time, for the (source, position) it was read at.
        self._oldest_key: tuple[EventSource, int] | None = None
        self._oldest_at: datetime | None = None
        # The last reading's time, and it in microseconds since 1970.
        self._last_now: datetime | None = None
        self._last_at = 0

    @property
    def samples(self) -> Sequence[Lag]:
        """Every reading, oldest first (indexable and sliceable, as a list)."""
        return _Samples(self)

    @property
    def alerts(self) -> Sequence[LagAlert]:
        """Every reading that crossed a threshold, with the reason, oldest first."""
        return _Alerts(self)

    def sample(self) -> Lag:
        """Measure the lag now, remember it, and record an alert if a threshold is passed.

        The same reading as ``projector.lag()``, taken in a few dictionary and list looks:
        the lab takes one after every command. The one read from the source, the oldest
        unprojected event's time, is done once per checkpoint position (a stored event's
        time never changes), not once per reading.
        """
        projector = self.projector
        source, position = projector.source, projector.position
        head, now = source.head, projector.clock.now()
        seconds = 0.0
        if position < head:
            oldest = self._oldest_unprojected_at(source, position)
            if oldest is not None:
                seconds = max((now - oldest).total_seconds(), 0.0)
        lag = Lag(now, head, position, head - position, seconds, len(projector.dead_letters.open))
        index = len(self._head)
        if now != self._last_now:  # a simulated clock stands still between its ticks
            self._last_now, self._last_at = now, (now - _EPOCH) // _MICROSECOND
        self._at.append(self._last_at)
        self._head.append(head)
        self._position.append(position)
        self._seconds.append(seconds)
        self._dead_letters.append(lag.dead_letters)
        if self.max_events_behind is not None and lag.events_behind > self.max_events_behind:
            self._alert(index, "events", self.max_events_behind)
        elif self.max_seconds_behind is not None and seconds > self.max_seconds_behind:
            self._alert(index, "seconds", self.max_seconds_behind)
        return lag

    def _oldest_unprojected_at(self, source: EventSource, position: int) -> datetime | None:
        """When the first event after ``position`` was recorded (read once per source and
        position; None if the source has nothing there)."""
        key = (source, position)
        if self._oldest_key != key:
            oldest = source.read_all(after=position, limit=1)
            if not oldest:
                return None
            self._oldest_key, self._oldest_at = key, oldest[0].recorded_at
        return self._oldest_at

    def _alert(self, index: int, kind: str, threshold: float) -> None:
        crossed = (kind, threshold)
        if not self._thresholds or self._thresholds[-1] != crossed:
            self._thresholds.append(crossed)
        self._alerted.append(index)
        self._crossed.append(len(self._thresholds) - 1)

    def _lag(self, index: int) -> Lag:
        head, position = self._head[index], self._position[index]
        at = _EPOCH + timedelta(microseconds=self._at[index])
        return Lag(
            at, head, position, head - position, self._seconds[index], self._dead_letters[index]
        )

    def _lag_alert(self, index: int) -> LagAlert:
        lag = self._lag(self._alerted[index])
        kind, threshold = self._thresholds[self._crossed[index]]
        if kind == "events":
            reason = f"{lag.events_behind} events behind > {threshold}"
        else:
            reason = f"{lag.seconds_behind:.1f} s behind > {threshold}"
        return LagAlert(lag, reason)

    def frame(self) -> pd.DataFrame:
        """Samples as a DataFrame: at, head, position, events_behind, seconds_behind, alert."""
        head = pd.Series(self._head, dtype="int64")
        position = pd.Series(self._position, dtype="int64")
        alert = pd.Series(False, index=head.index, dtype=bool)
        alert.iloc[list(self._alerted)] = True
        return pd.DataFrame(
            {
                "at": pd.to_datetime(pd.Series(self._at, dtype="int64"), unit="us", utc=True),
                "head": head,
                "position": position,
                "events_behind": head - position,
                "seconds_behind": pd.Series(self._seconds, dtype="float64"),
                "alert": alert,
            }
        )


class _Rows(Sequence):
    """A read-only list view of a monitor's columns: rows are built when they are read."""

    def __init__(self, monitor: LagMonitor) -> None:
        self._monitor = monitor

    def _row(self, index: int):
        raise NotImplementedError

    @overload
    def __getitem__(self, index: int): ...
    @overload
    def __getitem__(self, index: slice) -> list: ...
    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._row(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"{type(self).__name__.strip('_').lower()} index out of range")
        return self._row(index)

    def __eq__(self, other: object) -> bool:
        return list(self) == (list(other) if isinstance(other, Sequence) else other)

    def __repr__(self) -> str:
        return repr(list(self))


class _Samples(_Rows):
    def __len__(self) -> int:
        return len(self._monitor._head)

    def _row(self, index: int) -> Lag:
        return self._monitor._lag(index)


class _Alerts(_Rows):
    def __len__(self) -> int:
        return len(self._monitor._alerted)

    def _row(self, index: int) -> LagAlert:
        return self._monitor._lag_alert(index)
