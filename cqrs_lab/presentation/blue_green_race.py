"""The blue-green race: the live read model and its new version as two lanes filling up.

A :class:`~cqrs_lab.BlueGreenRebuild` lets a new projection version ("green") fold every
event beside the live one ("blue"), then cut over in one transaction. This view draws the
race: each lane fills to its projector's position out of the store's head, the cut-over
is marked where it happened, and a badge says which version answers queries (blue until
the cut, green after). :func:`render_race` is a pure function of the race's samples;
:class:`BlueGreenView` adds the buttons.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from html import escape

import ipywidgets as w

from cqrs_lab.read_side.blue_green import BlueGreenRebuild
from cqrs_lab.read_side.projection import Projection

LANE_COLOURS = {"blue": "#1c7ed6", "green": "#2f9e44"}
WIDTH, LANE_H = 560, 26


def _lane(y: int, name: str, label: str, done: int, head: int) -> str:
    filled = WIDTH * (done / head if head else 1.0)
    return (
        f'<g class="cqrs-lane cqrs-lane-{name}" data-position="{done}">'
        f'<rect x="120" y="{y}" width="{WIDTH}" height="{LANE_H}" fill="#e9ecef" rx="4"/>'
        f'<rect x="120" y="{y}" width="{filled:.1f}" height="{LANE_H}" '
        f'fill="{LANE_COLOURS[name]}" rx="4"/>'
        f'<text x="112" y="{y + 17}" text-anchor="end" font-size="12">{escape(label)}</text>'
        + (
            f'<text x="{114 + filled:.1f}" y="{y + 17}" text-anchor="end" font-size="11" '
            f'fill="white">{done} / {head}</text></g>'
            if filled > 70
            else f'<text x="{126 + filled:.1f}" y="{y + 17}" font-size="11">{done} / {head}</text></g>'
        )
    )


def render_race(samples: list[dict], cut: bool) -> str:
    """Two lanes from the race's newest sample, the cut-over marked, and who serves queries.

    ``samples`` are :attr:`BlueGreenRebuild.samples` (head, blue_behind, green_behind, note).
    """
    last = samples[-1]
    head = last["head"]
    blue = head - last["blue_behind"]
    green = head - last["green_behind"]
    cut_at = next((s["head"] - s["green_behind"] for s in samples if s["note"] == "cut over"), None)
    serving = "green (new version)" if cut else "blue (old version)"
    marker = ""
    if cut_at is not None:
        x = 120 + WIDTH * (cut_at / head if head else 1.0)
        marker = (
            f'<g class="cqrs-cut-over" data-position="{cut_at}">'
            f'<line x1="{x:.1f}" y1="6" x2="{x:.1f}" y2="{2 * LANE_H + 26}" stroke="#e8590c" '
            f'stroke-width="3" stroke-dasharray="5,3"/><text x="{x:.1f}" y="{2 * LANE_H + 40}" '
            f'text-anchor="end" font-size="11" fill="#e8590c">cut over at {cut_at}</text></g>'
        )
    svg = (
        f'<svg viewBox="0 0 {WIDTH + 140} {2 * LANE_H + 50}" width="{WIDTH + 140}" '
        'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif">'
        + _lane(10, "blue", "blue (live v1)", blue, head)
        + _lane(16 + LANE_H, "green", "green (new v2)", green, head)
        + marker
        + "</svg>"
    )
    steps = len([s for s in samples if s["note"] == "green step"])
    return (
        f'<div class="cqrs-blue-green" data-serving="{"green" if cut else "blue"}" '
        f'data-blue="{blue}" data-green="{green}" data-head="{head}">{svg}'
        f'<div class="cqrs-serving" style="font:12px sans-serif">Queries are served by '
        f"<b>{serving}</b>; green has taken {steps} step(s).</div></div>"
    )


def _button(description: str, css: str, style: str = "") -> w.Button:
    button = w.Button(description=description, button_style=style, layout=w.Layout(width="auto"))
    button.add_class(css)
    return button


class BlueGreenView:
    """Start a blue-green rebuild of ``lab`` with ``new_versions()``, advance it, cut over.

    Args:
        lab: the live lab (its projector is blue).
        new_versions: builds the new projection versions (same names as live ones), e.g.
            ``lambda: [OrderProjectionV2(lab.customers)]``.
        batch_size: events green folds per Advance click.
    """

    def __init__(
        self,
        lab,
        new_versions: Callable[[], Iterable[Projection]],
        *,
        batch_size: int = 5,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.lab = lab
        self.new_versions = new_versions
        self.on_change = on_change
        self.race: BlueGreenRebuild | None = None
        self.start_button = _button("Start the rebuild (green)", "cqrs-bg-start", "primary")
        self.batch = w.BoundedIntText(value=batch_size, min=1, max=1_000_000, description="events")
        self.batch.add_class("cqrs-bg-batch")
        self.advance_button = _button("Advance green", "cqrs-bg-advance", "info")
        self.cut_button = _button("Cut over", "cqrs-bg-cut", "danger")
        self.picture = w.HTML()
        self.picture.add_class("cqrs-bg-picture")
        self.start_button.on_click(lambda _: self.start())
        self.advance_button.on_click(lambda _: self.advance())
        self.cut_button.on_click(lambda _: self.cut_over())
        self.widget = w.VBox(
            [
                w.HBox([self.start_button, self.batch, self.advance_button, self.cut_button]),
                self.picture,
            ]
        )
        self.widget.add_class("cqrs-blue-green-race")
        self.refresh()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def start(self) -> None:
        """Begin a new race (green starts at position 0 in its own schema).

        Raises:
            RuntimeError: if a race is running and has not cut over yet.
        """
        if self.race is not None and not self.race.cut:
            raise RuntimeError("a blue-green rebuild is running: cut over first")
        # No batch size for the race itself: Advance passes its own, and the cut-over's
        # catch-up then runs in the projector's big batches (in batches of 5 it took 36 s
        # for 10,000 events instead of under one).
        self.race = BlueGreenRebuild(self.lab.projector, list(self.new_versions()))
        self.refresh()

    def advance(self) -> int:
        """Let green fold its next batch; blue keeps serving."""
        if self.race is None or self.race.cut:
            self.start()
        done = self.race.advance(self.batch.value)
        self.refresh()
        return done

    def cut_over(self) -> int:
        """Green catches up and takes over, atomically; returns the cut-over position."""
        if self.race is None or self.race.cut:
            self.start()
        position = self.race.cut_over()
        self.refresh()
        if self.on_change:
            self.on_change()
        return position

    def refresh(self) -> None:
        """Redraw the lanes (a new sample, so blue's lag is current too)."""
        if self.race is None:
            self.picture.value = (
                '<div class="cqrs-blue-green" data-serving="blue">No rebuild running: '
                "press Start to fold a new version beside the live one.</div>"
            )
            return
        if not self.race.cut:
            self.race.sample("view")
        self.picture.value = render_race(self.race.samples, self.race.cut)
