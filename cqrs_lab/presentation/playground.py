"""The playground: one ipywidgets app to drive a live lab by hand and watch it move.

It holds no business logic: buttons dispatch commands or call the projector, and panels
show what the render functions in :mod:`playground_views` make of the lab. After each
action only panels whose inputs changed are redrawn (and an unchanged HTML value is not
even sent to the browser), so a click stays instant with thousands of events in the lab.
Time moves only on the lab's simulated clock: a command takes ``seconds_per_command``,
each projector batch the chosen processing delay. Nothing ever sleeps. The lab panel keeps
the lab in a folder or resets a kept one (:mod:`playground_folder`); the app then shows
the new lab in the same widget.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as w
from pydantic import ValidationError

from cqrs_lab.orders import CancelOrder, GetOrderById, ShipOrder
from cqrs_lab.presentation.lag_svg import render_lag_chart
from cqrs_lab.presentation.playground_folder import PlaygroundFolder, render_lab_status
from cqrs_lab.presentation.playground_views import (
    newest_orders,
    render_as_of,
    render_customer_stats,
    render_error,
    render_events,
    render_order_summary,
    render_order_view,
    short_id,
    top_customers,
)
from cqrs_lab.presentation.playground_visualizer import Visualizer
from cqrs_lab.presentation.playground_widgets import PlaygroundWidgets
from cqrs_lab.presentation.stock_view import render_stock, stock_now


class Playground(PlaygroundWidgets, PlaygroundFolder):
    """The widget app over ``lab``; display it with ``app`` (or ``app.widget``).

    Every button calls a method of the same name (``create_order``, ``catch_up``, ...),
    so code can drive it too. Changes made to the lab from outside the app (a cell that
    dispatches directly) show after ``app.refresh()``.

    Attributes:
        last_error: the exception the last action was rejected with (None if it worked).
    """

    def __init__(self, lab, *, event_limit: int = 12, row_limit: int = 10) -> None:
        self.event_limit, self.row_limit = event_limit, row_limit
        self.seconds_per_command = 1.0
        """Simulated seconds that pass with every accepted command (for the lag chart)."""
        self.last_error: BaseException | None = None
        self._assemble(lab)

    def _assemble(self, lab) -> None:
        """Build every widget over ``lab`` and draw it (at start, and for a new lab)."""
        self.lab = lab
        self.paused = False
        self._drawn: dict[str, Any] = {}
        self._rebuilds = 0
        self._build_widgets()
        self._wire()
        self.visualizer = Visualizer(self)
        """The flow view, stepper, fault panel and blue-green race, as tabs at the bottom."""
        self.widget.children += (self.visualizer.widget,)
        self.refresh()
        self.travel_to(lab.event_store.head)

    def _switch_to(self, lab) -> None:
        """Show ``lab`` instead, in the widget already on screen (its panels are rebuilt)."""
        shown, old = self.widget, self.widget.children
        self._assemble(lab)
        shown.children, self.widget = self.widget.children, shown
        _close_all(old)  # the old lab's panels: nothing shows them any more
        self._show_error(None)

    def _wire(self) -> None:
        self.create_button.on_click(lambda _: self.create_order())
        self.cancel_button.on_click(lambda _: self.cancel_order())
        self.ship_button.on_click(lambda _: self.ship_order())
        self.query_button.on_click(lambda _: self.query_order())
        self.step_button.on_click(lambda _: self.step())
        self.catch_up_button.on_click(lambda _: self.catch_up())
        self.pause_button.on_click(lambda _: self.toggle_pause())
        self.rebuild_button.on_click(lambda _: self.rebuild())
        self.mode.observe(lambda change: self.set_mode(change["new"]), names="value")
        self.batch_size.observe(
            lambda c: setattr(self.lab.projector, "batch_size", c["new"]), "value"
        )
        self.time_slider.observe(lambda change: self.travel_to(change["new"]), names="value")
        self._wire_lab_controls()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # -- actions (each button calls one) ------------------------------------------------

    def create_order(self, customer_id=None, lines=None, **address: str):
        """Fill the form with any values given, then dispatch it as ``CreateOrder``."""
        try:
            self.form.fill(customer_id, lines, **address)
        except ValueError as error:  # shown beside the form, like a rejected command
            self._show_error(error)
            return None
        return self._command(self.form.command)

    def cancel_order(self, order_id=None, reason: str | None = None):
        """Cancel the selected order (or ``order_id``) with the reason in the form."""
        if reason is not None:
            self.reason.value = reason
        target = order_id or self.order.value
        return self._command(lambda: CancelOrder(order_id=target, reason=self.reason.value))

    def ship_order(self, order_id=None):
        """Ship the selected order (or ``order_id``)."""
        target = order_id or self.order.value
        return self._command(lambda: ShipOrder(order_id=target))

    def query_order(self, order_id=None):
        """Ask the read side for the selected order (``GetOrderById``) and show the answer."""
        target = order_id or self.order.value
        try:
            view = self.lab.query(GetOrderById(order_id=target))
        except ValidationError as error:
            self._show_error(error)
            return None
        self._show_error(None)
        self.query_result.value = render_order_view(target, view)
        return view

    def step(self) -> int:
        """Apply the next single event (after the simulated processing delay)."""
        return self._projector_action(lambda: self._with_delay(self.lab.projector.step))

    def catch_up(self) -> int:
        """Run the projector to the head, batch by batch, showing progress."""

        def run() -> int:
            if self.lab.event_store.head == self.lab.projector.position:
                return 0
            self._advance(self.delay.value)

            def progress(done: int, total: int) -> None:
                self.progress.value = done / total
                if done < total:
                    self._advance(self.delay.value)

            return self.lab.projector.catch_up(on_progress=progress)

        return self._projector_action(run)

    def rebuild(self) -> int:
        """Recompute every read model from position 0, with the progress bar."""

        def run() -> int:
            self.progress.value = 0.0
            self._rebuilds += 1
            done = self.lab.projector.rebuild(
                on_progress=lambda done, total: setattr(self.progress, "value", done / total)
            )
            self.progress.value = 1.0
            return done

        return self._projector_action(run)

    def toggle_pause(self) -> None:
        """Pause: the projector does nothing (not even inline). Resume: back to the mode."""
        self.paused = not self.paused
        self.pause_button.description = "Resume projector" if self.paused else "Pause projector"
        for control in (self.step_button, self.catch_up_button, self.rebuild_button, self.mode):
            control.disabled = self.paused
        if self.paused:
            self.lab.consistency = "async"
            self.refresh()
        else:
            self.set_mode(self.mode.value)

    def set_mode(self, mode: str) -> None:
        """``"async"``: project when told. ``"inline"``: catch up now and after every command."""
        if self.mode.value != mode:
            self.mode.value = mode  # observed: comes back here once
            return
        # While paused nothing projects, not even inline: the mode applies on resume.
        self.lab.consistency = "async" if self.paused else mode
        if mode == "inline" and not self.paused:
            self.catch_up()
        else:
            self.refresh()

    def travel_to(self, position: int) -> None:
        """Show ``order_summary`` as of ``position`` (the event log is append-only, so the
        answer for a position never changes: it is drawn only when the slider moves)."""
        if self.time_slider.value != position:
            self.time_slider.value = position  # observed: comes back here once
            return
        self.as_of.value = render_as_of(self.lab, position, self.row_limit)

    # -- plumbing -------------------------------------------------------------------------

    def _advance(self, seconds: float) -> None:
        if seconds > 0:
            self.lab.clock.advance(seconds)

    def _with_delay(self, action: Callable[[], int]) -> int:
        if self.lab.event_store.head == self.lab.projector.position:
            return 0
        self._advance(self.delay.value)
        return action()

    def _command(self, build: Callable[[], Any]):
        failures = len(self.lab.projection_errors)
        try:
            events = self.lab.dispatch(build())
        except Exception as error:  # rejected (or broken): shown beside the form, never lost
            self._show_error(error)
            return None
        self._advance(self.seconds_per_command)
        # Inline mode: the command stood, but its projection may have failed.
        new = self.lab.projection_errors[failures:]
        self._show_error(new[-1] if new else None)
        self.refresh()
        return events

    def _projector_action(self, run: Callable[[], int]) -> int:
        if self.paused:
            self._show_error(RuntimeError("the projector is paused: press Resume first"))
            return 0
        try:
            done = run()
        except Exception as error:  # a failed projection is shown, never swallowed
            self._show_error(error)
            self.refresh()
            return 0
        self._show_error(None)
        self.refresh()
        return done

    def _show_error(self, error: BaseException | None) -> None:
        self.last_error = error
        self.errors.value = render_error(error)

    def _draw(self, name: str, key: Any, panel: w.HTML, render: Callable[[], str]) -> None:
        if self._drawn.get(name) != key:
            self._drawn[name] = key
            panel.value = render()

    def refresh(self) -> None:
        """Redraw the panels whose inputs changed since the last redraw."""
        lab = self.lab
        head = lab.event_store.head
        projected = (tuple(lab.projector.checkpoints().items()), self._rebuilds)
        if self._drawn.get("queries") != projected:
            # The tables change only when the projector commits; between commits only the
            # staleness marks move, and those are computed from the event store.
            self._drawn["queries"] = projected
            self._newest = newest_orders(lab, self.row_limit)
            self._top = top_customers(lab, self.row_limit)
        reads = (head, projected)
        self._draw("events", reads, self.events, lambda: render_events(lab, self.event_limit))
        self._draw(
            "orders",
            reads,
            self.order_summary,
            lambda: render_order_summary(lab, self.row_limit, self._newest),
        )
        self._draw(
            "customers",
            reads,
            self.customer_stats,
            lambda: render_customer_stats(lab, self.row_limit, self._top),
        )
        self._draw(
            "lag", len(lab.lag_monitor.samples), self.lag_chart, lambda: render_lag_chart(lab)
        )
        self._draw("lab", head, self.lab_status, lambda: render_lab_status(lab))
        if self._drawn.get("stock") != lab.inventory.store.head:  # moves with every reservation
            self._drawn["stock"] = lab.inventory.store.head
            rows = stock_now(lab)
            self.stock.value = render_stock(lab, rows)
            self.form.show_stock({row["product"]: row["available"] for row in rows})
        self.time_slider.max = head
        self._refresh_orders()
        self.projector_status.value = (
            f"mode <b>{lab.consistency}</b>{' (paused)' if self.paused else ''}; "
            f"checkpoints {lab.projector.checkpoints()}; clock {lab.clock.now():%H:%M:%S}"
        )
        self.visualizer.refresh()

    def _refresh_orders(self) -> None:
        streams = self.lab.event_store.stream_ids()
        if self._drawn.get("order-options") == len(streams):
            return
        self._drawn["order-options"] = len(streams)
        customers = self.lab.catalogue.customers
        options = []
        for order_id in reversed(streams[-20:]):
            created = self.lab.event_store.read_stream(order_id)[0].event
            options.append(
                (f"{short_id(order_id)} · {customers.get(created.customer_id)}", order_id)
            )
        self.order.options = options
        self.order.value = options[0][1] if options else None  # the newest order


def _close_all(widgets) -> None:
    """Close ``widgets`` and everything inside them (their views leave the browser)."""
    for widget in widgets:
        _close_all(getattr(widget, "children", ()))
        widget.close()
