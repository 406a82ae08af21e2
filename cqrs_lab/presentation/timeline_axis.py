"""Where the timeline's notes go: simulated time on the x-axis, and labels that never overlap.

The timeline chart places each entry at the simulated time it happened, because lag in
seconds only means something on a time axis. Two complications, handled here:

- Many entries share one instant (a command and its four events are stored at the same
  simulated moment). In each lane, notes of the same instant are set side by side, in
  their order, a note's width apart, so none hides another (:func:`time_positions`).
- A lab whose clock never moved (every entry at 09:00:00) has no time to plot. Then the
  axis falls back to the entries' order, and says so, instead of "09:00:00 to 09:00:00".

Labels are dropped, not overlapped, where the notes are too dense to name them all
(:func:`drop_overlapping_labels`); the chart says how many it left out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.text import Text

from cqrs_lab.observing.timeline import TimelineEntry

#: Slots side by side across the axis: a note (~16 points) plus a small gap each.
NOTES_ACROSS = 28


@dataclass(frozen=True)
class TimeAxis:
    """The x position of every entry, and how to label the axis."""

    xs: list[float]
    """One x per entry (seconds since the first entry, or the entry's number)."""
    timed: bool
    """True: x is simulated seconds. False: the clock stood still, x is the entry number."""
    label: str
    """The x-axis label, with its unit."""
    note_width: float
    """The width of one note in x units (same-instant notes sit this far apart)."""


def time_positions(
    entries: Sequence[TimelineEntry], lanes: dict[str, int], first_number: int = 1
) -> TimeAxis:
    """x positions for ``entries``: simulated seconds since the first, dodged per lane.

    When every entry happened at the same instant, x is the entry number instead
    (starting at ``first_number``) and the label says the clock stood still.
    """
    if not entries:
        return TimeAxis([], True, "simulated time (s)", 1.0)
    start = entries[0].at
    seconds = [(e.at - start).total_seconds() for e in entries]
    span = max(seconds) - min(seconds)
    if span <= 0:
        label = (
            f"lab history (entry number, oldest first): the simulated clock stood still "
            f"at {start:%H:%M:%S}"
        )
        xs = [float(n) for n in range(first_number, first_number + len(entries))]
        return TimeAxis(xs, False, label, 1.0)
    # Dodging widens the axis, and the width of a note depends on the axis: twice suffices.
    width = span / NOTES_ACROSS
    xs = _dodged(entries, seconds, lanes, width)
    width = (max(xs) - min(xs) + 3 * width) / NOTES_ACROSS
    xs = _dodged(entries, seconds, lanes, width)
    label = f"simulated time (s since {start:%H:%M:%S}); notes of one instant side by side"
    return TimeAxis(xs, True, label, width)


def _dodged(
    entries: Sequence[TimelineEntry], seconds: list[float], lanes: dict[str, int], width: float
) -> list[float]:
    """In each lane, a note starts no earlier than one note's width after the one before."""
    last_in_lane: dict[int, float] = {}
    xs = []
    for entry, t in zip(entries, seconds):
        lane = lanes.get(entry.kind, -1)
        x = max(t, last_in_lane.get(lane, t - width) + width)
        last_in_lane[lane] = x
        xs.append(x)
    return xs


def drop_overlapping_labels(
    ax: Axes, labels: Sequence[Text], notes: Sequence[tuple[float, float]] = (), size: float = 16
) -> int:
    """Hide every label that would overlap another note or a label drawn before it (oldest
    kept); returns how many were hidden. ``notes`` are the notes' (x, y) data points, in
    the labels' order (label ``i`` names note ``i``), each ``size`` points square. Call after the layout is final (``tight_layout``).

    Labels share one rotation, so they are compared in that rotated frame (two parallel
    slanted labels side by side do not touch, though their upright boxes would)."""
    renderer = ax.figure.canvas.get_renderer()
    angle = math.radians(labels[0].get_rotation()) if labels else 0.0
    cos, sin = math.cos(angle), math.sin(angle)

    def frame(x: float, y: float) -> tuple[float, float]:
        return x * cos + y * sin, -x * sin + y * cos

    half = size / 2 * ax.figure.dpi / 72 * math.sqrt(2)  # a note's reach in any direction
    note_boxes = []
    for x, y in ax.transData.transform(list(notes)).reshape(-1, 2):
        u, v = frame(x, y)
        note_boxes.append((u - half, v - half, u + half, v + half))
    kept: list[tuple[float, ...]] = []
    hidden = 0
    for i, text in enumerate(labels):
        anchor = text.get_window_extent(renderer)  # upright box; its corner is the anchor
        text.set_rotation(0)
        upright = text.get_window_extent(renderer)
        text.set_rotation(math.degrees(angle))
        # The text's own lower-left corner: for a positive angle, its height's slant in.
        u, v = frame(anchor.x0 + upright.height * max(sin, 0.0), anchor.y0)
        box = (u, v, u + upright.width, v + upright.height)
        # A label sits just above its own note (``notes[i]``); every other note is in the way.
        others = note_boxes[:i] + note_boxes[i + 1 :]
        if any(_overlap(box, other) for other in [*kept, *others]):
            text.set_visible(False)
            hidden += 1
        else:
            kept.append(box)
    return hidden


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
