"""The lag chart: how far the read side trails the write side, over simulated time.

Two panels sharing one time axis: events behind (with the alert threshold as a dashed
line) and seconds behind. Moments the lag monitor raised an alert are marked in red, so
the seed's "monitor and alert on projection delay" is something you can see.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from cqrs_lab.presentation import palette

THRESHOLD_LABEL = "alert threshold"
ALERT_LABEL = "alert fired"


def seconds_since_start(frame: pd.DataFrame) -> pd.Series:
    """The frame's ``second`` column, or seconds since its first ``at`` timestamp."""
    if "second" in frame:
        return frame["second"].astype(float)
    at = pd.to_datetime(frame["at"])
    return (at - at.iloc[0]).dt.total_seconds()


def lag_chart(
    frame: pd.DataFrame,
    *,
    max_events_behind: float | None = None,
    max_seconds_behind: float | None = None,
    title: str = "Projection lag",
    figsize: tuple[float, float] = (9, 5),
) -> Figure:
    """Plot ``events_behind`` (a step: it changes only at readings) and ``seconds_behind``
    against simulated seconds.

    ``frame`` is :func:`~cqrs_lab.orders.workloads.simulation.simulate_burst`'s result or
    ``lab.lag_monitor.frame()``: columns ``second`` or ``at``, ``events_behind``,
    ``seconds_behind`` and ``alert``. A threshold you pass is drawn as a dashed line on
    its panel; rows with ``alert`` true are marked on the events panel.

    Raises:
        ValueError: if the frame is empty or lacks a column the chart needs.
    """
    needed = {"events_behind", "seconds_behind", "alert"}
    missing = needed - set(frame.columns)
    if missing or not ({"second", "at"} & set(frame.columns)):
        raise ValueError(f"lag_chart needs columns second (or at), {sorted(needed)}")
    if frame.empty:
        raise ValueError("lag_chart needs at least one lag sample; the frame is empty")
    x = seconds_since_start(frame)
    fig, (events_ax, seconds_ax) = plt.subplots(2, 1, sharex=True, figsize=figsize)
    events_ax.step(
        x, frame["events_behind"], where="post", color=palette.EVENTS_BEHIND, label="behind"
    )
    # Between two readings the oldest waiting event just ages: a straight line is exact.
    seconds_ax.plot(x, frame["seconds_behind"], color=palette.SECONDS_BEHIND, label="behind")
    for ax, threshold in ((events_ax, max_events_behind), (seconds_ax, max_seconds_behind)):
        if threshold is not None:
            ax.axhline(threshold, color=palette.THRESHOLD, linestyle="--", label=THRESHOLD_LABEL)
    fired = frame["alert"].astype(bool)
    events_ax.plot(
        x[fired], frame["events_behind"][fired], "v", color=palette.ALERT, label=ALERT_LABEL
    )
    events_ax.set_ylabel("events behind (events)")
    seconds_ax.set_ylabel("seconds behind (s)")
    seconds_ax.set_xlabel("simulated time since start (s)")
    events_ax.set_title(title)
    for ax in (events_ax, seconds_ax):
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left")
    fig.tight_layout()
    return fig
