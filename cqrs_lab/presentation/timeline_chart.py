"""The lab's history as an Event Modeling timeline: commands, events, read-model updates.

Event Modeling draws a system as sticky notes along a time line: blue commands (someone
asked), orange events (it happened), green read models (it became visible to queries).
This chart draws ``lab.timeline`` the same way, one lane per kind, along simulated time
(:mod:`cqrs_lab.presentation.timeline_axis` places the notes and keeps labels apart).
A rejected command keeps its blue note but gets a red edge and a red x: it was asked,
and nothing happened.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from cqrs_lab.observing.timeline import TimelineEntry
from cqrs_lab.presentation import palette
from cqrs_lab.presentation.timeline_axis import TimeAxis, drop_overlapping_labels, time_positions

COLOURS = palette.KINDS
"""Event Modeling colours per timeline kind (see :mod:`~cqrs_lab.presentation.palette`)."""
REJECTED = palette.REJECTED
"""Edge and cross of a rejected command."""
LANES = {"command": 2, "event": 1, "read-model": 0}
"""Lane (y position) per kind: commands on top, read models at the bottom."""
LANE_LABELS = ["read model\nupdated", "event\nstored", "command\nsent"]
MAX_LABELLED = 40
"""Above this many entries, notes are drawn without their names (they would overlap)."""


def is_rejected(entry: TimelineEntry) -> bool:
    """Whether a timeline entry is a command the system refused."""
    return entry.kind == "command" and entry.detail.startswith("rejected:")


def timeline_chart(
    source: Any,
    *,
    last: int | None = None,
    ax: Axes | None = None,
    figsize: tuple[float, float] = (10, 3.6),
) -> Axes:
    """Draw the timeline of a lab (or a ``Timeline``, or a list of entries); returns the Axes.

    Args:
        source: a lab (uses ``lab.timeline``), a ``Timeline`` or ``TimelineEntry`` objects.
        last: draw only the newest ``last`` entries (numbering stays the lab's).
        ax: draw into this Axes; a new figure of ``figsize`` otherwise.

    The x-axis is simulated time; if the lab's clock never moved, it is the entries'
    order (and says so). Labels that would overlap are left out. End the cell with
    ``plt.show()``.
    """
    entries = _entries(source)
    first_number = 1
    if last is not None and len(entries) > last:
        first_number = len(entries) - last + 1
        entries = entries[-last:]
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    axis = time_positions(entries, LANES, first_number)
    numbers = axis.xs
    for kind, colour in COLOURS.items():
        points = [(n, e) for n, e in zip(numbers, entries) if e.kind == kind]
        ax.scatter(
            [n for n, _ in points],
            [LANES[kind]] * len(points),
            s=260,
            marker="s",
            c=colour,
            edgecolors=[REJECTED if is_rejected(e) else colour for _, e in points],
            linewidths=2.5,
            label=kind,
            zorder=3,
        )
    rejected = [n for n, e in zip(numbers, entries) if is_rejected(e)]
    ax.scatter(
        rejected,
        [LANES["command"]] * len(rejected),
        s=120,
        marker="x",
        c=REJECTED,
        linewidths=2,
        label="rejected command",
        zorder=4,
    )
    labels = []
    if len(entries) <= MAX_LABELLED:
        for n, entry in zip(numbers, entries):
            labels.append(
                ax.annotate(
                    _label(entry),
                    (n, LANES[entry.kind]),
                    xytext=(0, 11),
                    textcoords="offset points",
                    rotation=35,
                    fontsize=7,
                    ha="left",
                    va="bottom",
                )
            )
    _decorate(ax, entries, axis)
    ax.figure.tight_layout()
    drop_overlapping_labels(ax, labels, [(x, LANES[e.kind]) for x, e in zip(numbers, entries)])
    return ax


def _label(entry: TimelineEntry) -> str:
    if entry.kind == "event":
        return f"{entry.position}: {entry.name}"
    if entry.kind == "read-model":
        return f"@{entry.position}"
    return f"{entry.name} (rejected)" if is_rejected(entry) else entry.name


def _decorate(ax: Axes, entries: list[TimelineEntry], axis: TimeAxis) -> None:
    ax.set_yticks([0, 1, 2], LANE_LABELS)
    ax.set_ylim(-0.6, 3.4)
    low, high = (min(axis.xs), max(axis.xs)) if axis.xs else (0.0, 1.0)
    ax.set_xlim(low - axis.note_width, high + 2 * axis.note_width)
    ax.set_xlabel(axis.label)
    ax.set_ylabel("kind of entry")
    ax.grid(axis="y", alpha=0.3)
    span = ""
    if entries and axis.timed:
        start, end = entries[0].at, entries[-1].at
        span = f", {start:%H:%M:%S} to {end:%H:%M:%S} simulated"
    counts = {kind: sum(e.kind == kind for e in entries) for kind in COLOURS}
    ax.set_title(
        f"Timeline: {counts['command']} commands ({sum(map(is_rejected, entries))} rejected), "
        f"{counts['event']} events, {counts['read-model']} read-model updates{span}",
        fontsize=10,
    )
    handles = [
        Line2D([], [], marker="s", ls="", color=COLOURS[k], markersize=9, label=k) for k in COLOURS
    ]
    handles.append(
        Line2D([], [], marker="x", ls="", color=REJECTED, markersize=8, label="rejected command")
    )
    ax.legend(handles=handles, loc="upper left", fontsize=7, ncols=4, frameon=False)


def _entries(source: Any) -> list[TimelineEntry]:
    timeline = getattr(source, "timeline", source)
    entries = getattr(timeline, "entries", timeline)
    if not isinstance(entries, Iterable):
        raise TypeError(f"timeline_chart needs a lab, a Timeline or entries, got {source!r}")
    return list(entries)
