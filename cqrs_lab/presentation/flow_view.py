"""The flow view: send a command, press Step, and watch it travel to a read-model row.

Buttons dispatch real commands to the lab and run the real projector; the tokens
(:mod:`cqrs_lab.presentation.flow_tokens`) replay what the code did one stage per step, and
the diagram (:mod:`cqrs_lab.presentation.flow_svg`) shows them with the lab's live counts.
The command runs when it is sent (the bus is synchronous); its token then walks the write
path, and the projector takes an event only once its token has reached the store, one
event per step, so the wait between store and read model (the lag) is there to see.
Each step moves the lab's simulated clock one second, so lag in seconds means something.
While the playground's projector is paused (``paused``), a step moves the tokens and the
clock but the projector takes nothing: the events wait in the store and the lag grows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as w
from pydantic import ValidationError

from cqrs_lab.messaging.command_bus import CommandIdReusedError
from cqrs_lab.messaging.registry import NoHandlerFoundError
from cqrs_lab.orders import CancelOrder, GetOrderById, InvalidOperationError, ShipOrder
from cqrs_lab.presentation import flow_tokens as flow
from cqrs_lab.presentation.demo_orders import default_order, order_for_too_many
from cqrs_lab.presentation.flow_diagram import FlowDiagram
from cqrs_lab.presentation.flow_svg import FlowCounts, render_flow
from cqrs_lab.presentation.playground_views import describe_error, short_id
from cqrs_lab.write_side.event_store import ConcurrencyError, DuplicateCommandError

SECONDS_PER_STEP = 1.0


def refusing_stage(error: BaseException) -> str:
    """The stage of the write path that refused a command with ``error``.

    An invalid command never leaves the sender; the bus refuses what it cannot route or a
    reused command id; the aggregate refuses what its state forbids; the store refuses a
    concurrent or duplicate append; the handler's checks refuse the rest (unknown
    customer or product, too little stock, no such order).
    """
    match error:
        case ValidationError():
            return "command"
        case NoHandlerFoundError() | CommandIdReusedError():
            return "bus"
        case InvalidOperationError():
            return "aggregate"
        case ConcurrencyError() | DuplicateCommandError():
            return "event store"
    return "handler"


def row_counts(lab) -> dict[str, int]:
    """Rows in each read model's main table (they change only when the projector commits)."""
    return {
        name: lab.read_db.execute(f"SELECT count(*) FROM {p.tables[0].name}").fetchone()[0]
        for name, p in lab.projector.projections.items()
    }


def flow_counts(lab, rows: dict[str, int] | None = None, *, paused: bool = False) -> FlowCounts:
    """The live numbers for the diagram; ``rows`` may pass still-current :func:`row_counts`."""
    lag = lab.projector.lag()
    rows = row_counts(lab) if rows is None else rows
    now = lab.clock.now()
    return FlowCounts(
        head=lag.head,
        position=lag.position,
        lag_events=lag.events_behind,
        lag_seconds=round(lag.seconds_behind, 1),
        streams=len(lab.event_store.stream_ids()),
        rows=rows,
        checkpoints=lab.projector.checkpoints(),
        clock=f"{now:%H:%M:%S}",
        paused=paused,
    )


def _button(description: str, css: str, style: str = "") -> w.Button:
    button = w.Button(description=description, button_style=style, layout=w.Layout(width="auto"))
    button.add_class(css)
    return button


class FlowView:
    """A live diagram of ``lab`` with buttons; display it with ``view`` (or ``view.widget``).

    Args:
        lab: the lab to drive.
        command: builds the command the Send button dispatches (the playground passes its
            form's); default: one armchair for the catalogue's first customer.
        on_change: called after every action that changed the lab (the playground redraws).
        paused: tells whether the projector is paused (the playground's Pause); while it
            is, Step never runs the projector.
    """

    def __init__(
        self,
        lab,
        *,
        command: Callable[[], Any] | None = None,
        on_change: Callable[[], None] | None = None,
        paused: Callable[[], bool] | None = None,
    ) -> None:
        self.lab = lab
        self.paused = paused or (lambda: False)
        self.state = flow.FlowState()
        self._drawn_state: flow.FlowState | None = None
        self._drawn_inputs: tuple = ()
        self._rows: dict[str, int] = {}
        self._rows_at: tuple | None = None
        self.build_command = command or (lambda: default_order(lab))
        self.on_change = on_change
        self.auto_project = w.Checkbox(value=True, description="projector takes 1 event per step")
        self.auto_project.add_class("cqrs-flow-auto")
        self.send_button = _button("Send CreateOrder", "cqrs-flow-send", "primary")
        self.refuse_button = _button("Send an order for too many", "cqrs-flow-refused", "warning")
        self.ship_button = _button("Ship newest", "cqrs-flow-ship")
        self.cancel_button = _button("Cancel newest", "cqrs-flow-cancel")
        self.query_button = _button("Query newest", "cqrs-flow-query")
        self.step_button = _button("Step ▶", "cqrs-flow-step", "info")
        self.diagram = FlowDiagram()
        self.send_button.on_click(lambda _: self.send())
        self.refuse_button.on_click(lambda _: self.send(lambda: order_for_too_many(lab)))
        self.ship_button.on_click(lambda _: self.send(lambda: ShipOrder(order_id=self._newest())))
        self.cancel_button.on_click(
            lambda _: self.send(lambda: CancelOrder(order_id=self._newest(), reason="flow view"))
        )
        self.query_button.on_click(lambda _: self.query())
        self.step_button.on_click(lambda _: self.step())
        buttons = [self.send_button, self.refuse_button, self.ship_button, self.cancel_button]
        self.widget = w.VBox(
            [
                w.HBox([*buttons, self.query_button]),
                w.HBox([self.step_button, self.auto_project]),
                self.diagram,
            ]
        )
        self.widget.add_class("cqrs-flow-view")
        self.refresh()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    @property
    def html(self) -> str:
        """The diagram's markup as shown now."""
        return self.diagram.html

    # -- actions ------------------------------------------------------------------------

    def send(self, build: Callable[[], Any] | None = None) -> list | None:
        """Dispatch a command (default: the Send button's) and put its token on the diagram.

        Returns its events, or None if it was refused (the token shows where and why)."""
        try:
            command = (build or self.build_command)()
        except ValueError as error:  # an invalid form: the command never leaves the sender
            return self._refused("command", "command", error)
        name = type(command).__name__
        head = self.lab.event_store.head
        try:
            events = self.lab.dispatch(command)
        except Exception as error:  # refused: the token stops, red, where it was refused
            return self._refused(name, refusing_stage(error), error)
        positions = tuple(range(head + 1, self.lab.event_store.head + 1))
        names = tuple(type(e).__name__ for e in events)
        self.state = flow.send_command(self.state, name, positions=positions, events=names)
        self._changed()
        return events

    def step(self) -> None:
        """Move every token one stage; the projector takes the next stored event (if on)."""
        arriving = self.state.in_flight  # stored this step: they wait at least one step
        self.state = flow.tick(self.state, self._readers)
        projector = self.lab.projector
        self.state = flow.forget_projected(self.state, projector.position)
        before = projector.position
        behind = before < self.lab.event_store.head
        if behind and self.auto_project.value and self.paused():
            self.state = flow.note(self.state, "projector paused: the events wait in the store")
        elif (
            self.auto_project.value and behind and before + 1 not in arriving | self.state.in_flight
        ):
            try:
                projector.step(1)
                self.state = flow.project(self.state, range(before + 1, projector.position + 1))
            except Exception as error:  # the projector refused it: shown red, never lost
                self.state = flow.project(self.state, [before + 1], describe_error(error))
        if hasattr(self.lab.clock, "advance"):
            self.lab.clock.advance(SECONDS_PER_STEP)
        self._changed()

    def query(self, order_id=None) -> Any:
        """Ask ``GetOrderById`` for the newest order (or ``order_id``); a token carries the answer."""
        target = order_id or self._newest()
        try:
            view = self.lab.query(GetOrderById(order_id=target))
            answer = (
                "None: not projected yet"
                if view is None
                else f"{view.status}, {view.item_count} item(s), {view.total_amount:.2f}"
            )
        except Exception as error:
            view, answer = None, describe_error(error)
        read_model = next(iter(self.lab.projector.projections), flow.QUERY)
        self.state = flow.send_query(
            self.state, f"GetOrderById({short_id(target)})", answer, read_model
        )
        self.refresh()
        return view

    def refresh(self) -> None:
        """Redraw the diagram from the tokens and the lab's live counts, if either changed
        (the playground asks after every click; counting rows waits for a commit)."""
        lab = self.lab
        paused = self.paused()
        self.auto_project.disabled = paused
        checkpoints = tuple(lab.projector.checkpoints().items())
        inputs = (lab.event_store.head, checkpoints, lab.clock.now(), paused)
        if self.state is self._drawn_state and inputs == self._drawn_inputs:
            return
        self._drawn_state, self._drawn_inputs = self.state, inputs
        if self._rows_at != checkpoints:
            self._rows, self._rows_at = row_counts(lab), checkpoints
        self.diagram.html = render_flow(self.state, flow_counts(lab, self._rows, paused=paused))

    # -- helpers ------------------------------------------------------------------------

    def _refused(self, name: str, stage: str, error: BaseException) -> None:
        self.state = flow.send_command(
            self.state, name, refused_at=stage, error=describe_error(error)
        )
        self.refresh()
        return None

    def _changed(self) -> None:
        self.refresh()
        if self.on_change:
            self.on_change()

    def _readers(self, event_type: str) -> tuple[str, ...]:
        return tuple(
            name
            for name, projection in self.lab.projector.projections.items()
            if any(kind.__name__ == event_type for kind in projection.handles)
        )

    def _newest(self):
        streams = self.lab.event_store.stream_ids()
        if not streams:
            raise ValueError("no order yet: send a CreateOrder first")
        return streams[-1]
