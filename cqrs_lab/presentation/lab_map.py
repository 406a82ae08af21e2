"""The map of the lab: the seed's write side / read side picture, drawn from a live lab.

The seed draws CQRS as two boxes: commands -> aggregate -> events on the write side,
events -> project -> read model <- queries on the read side. This figure draws the same
picture but fills every box from the running lab (the command types the bus routes, the
store's head, each projection's checkpoint and rows, the query types), so it changes as
the lab does and can never drift from the code.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.patches import FancyBboxPatch

from cqrs_lab.presentation import palette
from cqrs_lab.presentation.timeline_chart import COLOURS

AGGREGATE_YELLOW = palette.AGGREGATE
QUERY_GREY = palette.QUERY


def lab_map(lab: Any, *, ax: Axes | None = None, figsize: tuple[float, float] = (10, 5.6)) -> Axes:
    """Draw the lab's write and read sides from its live state; returns the Axes."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 6.4)
    ax.axis("off")
    _panel(ax, 0.1, "Write side")
    _panel(ax, 5.1, "Read side")
    head = lab.event_store.head

    _box(ax, 0.4, 4.3, "Commands", _names(lab.command_bus.registered), COLOURS["command"])
    aggregate = lab.orders.aggregate_type.__name__
    _box(ax, 0.4, 2.6, f"Aggregate: {aggregate}", "decides, raises events", AGGREGATE_YELLOW)
    streams = len(lab.event_store.stream_ids())
    stored = f"head {head} (events stored)\n{streams} stream{'s' if streams != 1 else ''}"
    _box(ax, 0.4, 0.9, "Event store", stored, COLOURS["event"])
    _arrow(ax, (2.45, 4.3), (2.45, 3.75), "command bus")
    _arrow(ax, (2.45, 2.6), (2.45, 2.05), "save")

    _box(ax, 5.4, 4.3, "Queries", _names(lab.query_bus.registered), QUERY_GREY)
    _box(ax, 5.4, 2.6, "Read models (DuckDB)", _read_models(lab), COLOURS["read-model"])
    lag = lab.projector.lag()
    projector_text = f"position {lag.position}, {lag.events_behind} events behind"
    _box(ax, 5.4, 0.9, "Projector", projector_text, "white")
    _arrow(ax, (7.45, 4.3), (7.45, 3.75), "query bus")
    _arrow(ax, (7.45, 2.05), (7.45, 2.6), "project")
    _arrow(ax, (4.5, 1.45), (5.4, 1.45), "publish")
    ax.set_title(f"Map of the lab: the seed's architecture, live (store head {head})")
    ax.figure.tight_layout()
    return ax


def _names(types: list[type]) -> str:
    return "\n".join(t.__name__ for t in types) or "(none registered)"


def _read_models(lab: Any) -> str:
    checkpoints = lab.projector.checkpoints()
    lines = []
    for name, projection in lab.projector.projections.items():
        table = projection.tables[0].name
        rows = lab.read_db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        lines.append(f"{name}: @{checkpoints[name]}, {rows} rows")
    return "\n".join(lines) or "(no projections)"


def _panel(ax: Axes, x: float, title: str) -> None:
    ax.add_patch(
        FancyBboxPatch((x, 0.2), 4.8, 5.8, boxstyle="round,pad=0.05", fc="none", ec="0.5", ls="--")
    )
    ax.text(x + 2.4, 5.85, title, ha="center", va="top", fontsize=12, weight="bold")


def _box(ax: Axes, x: float, y: float, title: str, body: str, colour: str) -> None:
    height = 1.15 if y < 4 else 1.25
    ax.add_patch(
        FancyBboxPatch(
            (x, y), 4.1, height, boxstyle="round,pad=0.04", fc=colour, ec="0.2", alpha=0.9
        )
    )
    ax.text(x + 0.12, y + height - 0.1, title, ha="left", va="top", fontsize=10, weight="bold")
    ax.text(x + 0.12, y + height - 0.38, body, ha="left", va="top", fontsize=8, linespacing=1.2)


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float], label: str) -> None:
    ax.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": "->", "lw": 1.8})
    mid = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
    if start[1] == end[1]:  # horizontal: label above the arrow
        ax.text(mid[0], mid[1] + 0.08, label, fontsize=8, style="italic", ha="center", va="bottom")
    else:
        ax.text(mid[0] + 0.08, mid[1], label, fontsize=8, style="italic", ha="left", va="center")
