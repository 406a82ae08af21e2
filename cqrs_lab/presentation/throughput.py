"""Throughput views for notebooks: time a step, chart events/s, show a progress bar."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from cqrs_lab.presentation import palette


def timed(step: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """Run ``step(*args, **kwargs)``; returns its result and the wall-clock seconds it took."""
    start = time.perf_counter()
    result = step(*args, **kwargs)
    return result, time.perf_counter() - start


def throughput_chart(rates: Mapping[str, float], *, title: str = "") -> Figure:
    """Horizontal bars of events per second (log scale: the modes differ 100-fold)."""
    fig, ax = plt.subplots(figsize=(7, 2.8))
    names = list(rates)
    ax.barh(names, [rates[n] for n in names], color=list(palette.PROJECTION_MODES[: len(names)]))
    ax.set_xscale("log")
    values = [rates[n] for n in names]
    ax.set_xlim(min(values) / 3, max(values) * 5)  # room for the labels on a log axis
    ax.set_xlabel("events per second (log scale)")
    ax.invert_yaxis()
    for y, name in enumerate(names):
        ax.text(rates[name], y, f" {rates[name]:,.0f}", va="center")
    ax.set_title(title or "Projecting the same events into DuckDB")
    fig.tight_layout()
    return fig


def progress_bar(description: str) -> tuple[widgets.IntProgress, Callable[[int, int], None]]:
    """A progress bar and the ``on_progress(done, total)`` callback that moves it."""
    bar = widgets.IntProgress(value=0, min=0, max=1, description=description)

    def on_progress(done: int, total: int) -> None:
        bar.max = max(total, 1)
        bar.value = done

    return bar, on_progress
