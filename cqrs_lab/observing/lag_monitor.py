"""The lag monitor: the seed's "monitor and alert on projection delay", made runnable.

Call :meth:`LagMonitor.sample` whenever you want a reading (the lab does it after every
command and every projector commit); each reading past a threshold is an alert.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cqrs_lab.observing.lag import Lag
from cqrs_lab.read_side.projector import Projector


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
        self.samples: list[Lag] = []
        self.alerts: list[LagAlert] = []

    def sample(self) -> Lag:
        """Measure the lag now, remember it, and record an alert if a threshold is passed."""
        lag = self.projector.lag()
        self.samples.append(lag)
        if self.max_events_behind is not None and lag.events_behind > self.max_events_behind:
            self.alerts.append(
                LagAlert(lag, f"{lag.events_behind} events behind > {self.max_events_behind}")
            )
        elif self.max_seconds_behind is not None and lag.seconds_behind > self.max_seconds_behind:
            self.alerts.append(
                LagAlert(lag, f"{lag.seconds_behind:.1f} s behind > {self.max_seconds_behind}")
            )
        return lag

    def frame(self) -> pd.DataFrame:
        """Samples as a DataFrame: at, head, position, events_behind, seconds_behind, alert."""
        alerted = {id(a.lag) for a in self.alerts}
        rows = [
            (s.at, s.head, s.position, s.events_behind, s.seconds_behind, id(s) in alerted)
            for s in self.samples
        ]
        columns = ["at", "head", "position", "events_behind", "seconds_behind", "alert"]
        return pd.DataFrame(rows, columns=columns)
