"""The projection stepper: walk a projection through any range of events and see each row change.

Choose the scope (the whole store, one stream, or a position range), then play, pause,
step, jump to a position or drag the scrubber. At each event the panel shows the event,
the ``apply`` that ran, the aggregate after it, and the rows it changed as a diff
(:mod:`cqrs_lab.presentation.stepper_render`). The read models come from a
:class:`~cqrs_lab.presentation.projection_replay.Replay`: forward it steps the real
projections; backward it travels in time (folds again from a saved copy), never undoes.
A position's answer never changes (the log is append-only), so answers already computed
are shown again without refolding.
"""

from __future__ import annotations

from collections import OrderedDict

import ipywidgets as w

from cqrs_lab.presentation.projection_replay import Replay, StepResult
from cqrs_lab.presentation.stepper_render import (
    apply_source,
    render_aggregate,
    render_changes,
    render_step,
)
from cqrs_lab.presentation.stream import short_id

SCOPES = ("whole store", "one stream", "position range")
REMEMBERED = 256
"""Answers kept per stepper (each is a few rows)."""


def _button(description: str, css: str) -> w.Button:
    button = w.Button(description=description, layout=w.Layout(width="auto"))
    button.add_class(css)
    return button


class ProjectionStepper:
    """Steps ``lab``'s projections through its events; display it with ``stepper.widget``."""

    def __init__(self, lab) -> None:
        self.lab = lab
        self.replay = Replay(lab.event_store, lab.projector.projections.values(), clock=lab.clock)
        self._answers: OrderedDict[int, StepResult] = OrderedDict()
        self.positions: list[int] = []
        """The positions in scope, in order."""
        self.scope = w.ToggleButtons(options=SCOPES, value="whole store")
        self.scope.add_class("cqrs-stepper-scope")
        self.stream = w.Dropdown(description="stream", options=[])
        self.stream.add_class("cqrs-stepper-stream")
        self.range = w.IntRangeSlider(description="positions", min=1, max=1, value=(1, 1))
        self.range.add_class("cqrs-stepper-range")
        self.back_button = _button("◀ step back", "cqrs-stepper-back")
        self.forward_button = _button("step ▶", "cqrs-stepper-forward")
        self.jump_to = w.BoundedIntText(description="jump to", min=1, max=1, value=1)
        self.jump_to.add_class("cqrs-stepper-jump-to")
        self.jump_button = _button("Go", "cqrs-stepper-jump")
        self.scrubber = w.IntSlider(description="event", min=0, max=0, continuous_update=False)
        self.scrubber.add_class("cqrs-stepper-scrubber")
        self.play = w.Play(min=0, max=0, interval=900, description="play")
        self.play.add_class("cqrs-stepper-play")
        w.link((self.play, "value"), (self.scrubber, "value"))
        self.panel = w.HTML()
        self.panel.add_class("cqrs-stepper-panel")
        self.back_button.on_click(lambda _: self.step(-1))
        self.forward_button.on_click(lambda _: self.step(1))
        self.jump_button.on_click(lambda _: self.jump(self.jump_to.value))
        self.scrubber.observe(lambda c: self.show(c["new"]), names="value")
        self.scope.observe(lambda _: self.choose_scope(), names="value")
        self.stream.observe(lambda _: self.choose_scope(), names="value")
        self.range.observe(lambda _: self.choose_scope(), names="value")
        self.widget = w.VBox(
            [
                w.HBox([self.scope, self.stream, self.range]),
                w.HBox([self.play, self.back_button, self.forward_button, self.scrubber]),
                w.HBox([self.jump_to, self.jump_button]),
                self.panel,
            ]
        )
        self.widget.add_class("cqrs-stepper")
        self.refresh()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    @property
    def html(self) -> str:
        return self.panel.value

    @property
    def result(self) -> StepResult | None:
        """What the event shown changed (rows before and after), or None (empty scope)."""
        return self._answer(self.position) if self.positions else None

    @property
    def changes_html(self) -> str:
        """Only the before/after diff of the event shown (the panel's last part)."""
        return render_changes(self.result.changes) if self.result else ""

    @property
    def position(self) -> int | None:
        """The position shown now (None when the scope is empty)."""
        return self.positions[self.scrubber.value] if self.positions else None

    # -- controls -----------------------------------------------------------------------

    def refresh(self) -> None:
        """Take in events stored since the last refresh (new streams, a longer range)."""
        head = self.lab.event_store.head
        streams = self.lab.event_store.stream_ids()[-30:]
        self.stream.options = [(short_id(s), s) for s in reversed(streams)]
        self.range.max = max(head, 1)
        self.jump_to.max = max(head, 1)
        self.choose_scope()

    def choose_scope(self) -> None:
        """Recompute the positions in scope and show the first (or the one shown, if in)."""
        store = self.lab.event_store
        if self.scope.value == "one stream" and self.stream.value is not None:
            positions = [r.position for r in store.read_stream(self.stream.value)]
        elif self.scope.value == "position range":
            low, high = self.range.value
            positions = list(range(low, min(high, store.head) + 1))
        else:
            positions = list(range(1, store.head + 1))
        current = self.position
        self.positions = positions
        index = positions.index(current) if current in positions else 0
        self.play.max = self.scrubber.max = max(len(positions) - 1, 0)
        if self.scrubber.value == index:
            self.show(index)
        else:
            self.scrubber.value = index  # observed: shows it

    def step(self, delta: int) -> None:
        """One event forward (``delta=1``) or back (``-1``) within the scope."""
        self.scrubber.value = min(max(self.scrubber.value + delta, 0), self.scrubber.max)

    def jump(self, position: int) -> None:
        """Show the first event in scope at or after ``position``."""
        later = [i for i, p in enumerate(self.positions) if p >= position]
        self.scrubber.value = later[0] if later else self.scrubber.max

    def show(self, index: int) -> None:
        """Draw the event at ``index`` of the scope."""
        if not self.positions:
            self.panel.value = '<div class="cqrs-stepper-view">No events in this scope.</div>'
            return
        position = self.positions[index]
        remembered = position in self._answers
        result = self._answer(position)
        [recorded] = self.lab.event_store.read_all(after=position - 1, limit=1)
        readers = [
            p
            for p in self.lab.projector.projections.values()
            if isinstance(recorded.event, p.handles)
        ]
        header = (
            f"event {index + 1} of {len(self.positions)} in scope ({self.scope.value}); "
            f"position {position} of {self.lab.event_store.head}"
        )
        self.panel.value = render_step(
            recorded,
            result,
            [apply_source(p, recorded.type) for p in readers],
            render_aggregate(self._aggregate(recorded)),
            header,
            remembered=remembered,
        )

    # -- helpers ------------------------------------------------------------------------

    def _answer(self, position: int) -> StepResult:
        if position not in self._answers:
            self._answers[position] = self.replay.apply(position)
            if len(self._answers) > REMEMBERED:
                self._answers.popitem(last=False)
        return self._answers[position]

    def _aggregate(self, recorded):
        repository = getattr(self.lab, "orders", None)
        if repository is None:
            return None
        history = self.lab.event_store.read_stream(recorded.stream_id)[: recorded.version]
        return repository.aggregate_type.from_history(
            recorded.stream_id, [r.event for r in history]
        )
