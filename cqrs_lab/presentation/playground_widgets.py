"""The playground's widgets and their layout: every panel, button and control, no behaviour.

Each control gets a stable CSS class (``cqrs-create-button``, ``cqrs-events``, ...) so a
browser test can find it; :class:`~cqrs_lab.presentation.playground.Playground` wires
them to the lab.
"""

from __future__ import annotations

import ipywidgets as w

from cqrs_lab.presentation.playground_forms import OrderForm
from cqrs_lab.read_side.projector import CATCH_UP_BATCH


def _button(description: str, css: str, style: str = "") -> w.Button:
    button = w.Button(description=description, button_style=style, layout=w.Layout(width="auto"))
    button.add_class(css)
    return button


def _html(css: str, width: str = "auto") -> w.HTML:
    panel = w.HTML(layout=w.Layout(width=width))
    panel.add_class(css)
    return panel


class PlaygroundWidgets:
    """Builds the widgets of a playground over ``self.lab`` and lays them out in ``widget``."""

    def _build_widgets(self) -> None:
        self.form = OrderForm(self.lab)
        self.create_button = _button("Create order", "cqrs-create-button", "primary")
        self.order = w.Dropdown(description="order", options=[])
        self.order.add_class("cqrs-order")
        self.reason = w.Text(value="changed my mind", description="reason")
        self.reason.add_class("cqrs-reason")
        self.cancel_button = _button("Cancel order", "cqrs-cancel-button", "warning")
        self.ship_button = _button("Ship order", "cqrs-ship-button", "success")
        self.query_button = _button("Query GetOrderById", "cqrs-query-button")
        self.errors = _html("cqrs-errors", "420px")
        self.query_result = _html("cqrs-query-result", "420px")

        self.step_button = _button("Step 1 event", "cqrs-step-button")
        self.catch_up_button = _button("Catch up", "cqrs-catch-up-button", "info")
        self.pause_button = _button("Pause projector", "cqrs-pause-button")
        self.rebuild_button = _button("Rebuild read models", "cqrs-rebuild-button", "danger")
        # What one catch-up transaction takes: the lab's batch size, or the fast default.
        self.batch_size = w.BoundedIntText(
            value=self.lab.projector.batch_size or CATCH_UP_BATCH,
            min=1,
            max=max(100_000, CATCH_UP_BATCH),
            description="batch size",
        )
        self.batch_size.add_class("cqrs-batch-size")
        self.delay = w.BoundedFloatText(value=0.0, min=0.0, max=3600.0, description="delay (s)")
        self.delay.add_class("cqrs-delay")
        self.mode = w.ToggleButtons(options=["async", "inline"], value=self.lab.consistency)
        self.mode.add_class("cqrs-mode")
        self.progress = w.FloatProgress(value=0.0, min=0.0, max=1.0, description="progress")
        self.progress.add_class("cqrs-progress")
        self.projector_status = _html("cqrs-projector-status")

        self.events = _html("cqrs-events", "560px")
        self.lag_chart = _html("cqrs-lag-chart-panel", "440px")
        self.order_summary = _html("cqrs-order-summary", "560px")
        self.customer_stats = _html("cqrs-customer-stats", "440px")
        self.time_slider = w.IntSlider(
            min=0, max=0, description="as of", continuous_update=False, layout={"width": "560px"}
        )
        self.time_slider.add_class("cqrs-time-slider")
        self.as_of = _html("cqrs-time-travel", "560px")
        self.stock = _html("cqrs-stock", "440px")
        self._build_lab_controls()

        commands = w.VBox(
            [
                w.HTML("<b>Commands</b>"),
                self.form.widget,
                self.create_button,
                w.HBox([self.order, self.reason]),
                w.HBox([self.cancel_button, self.ship_button, self.query_button]),
            ]
        )
        beside = w.VBox(
            [w.HTML("<b>Errors</b>"), self.errors, w.HTML("<b>Query</b>"), self.query_result]
        )
        projector = w.VBox(
            [
                w.HTML("<b>Projector</b>"),
                w.HBox(
                    [self.step_button, self.catch_up_button, self.pause_button, self.batch_size]
                ),
                w.HBox([self.mode, self.rebuild_button, self.delay]),
                w.HBox([self.progress, self.projector_status]),
            ]
        )
        self.widget = w.VBox(
            [
                w.HBox([commands, beside]),
                projector,
                w.HBox([self.events, self.lag_chart]),
                w.HBox([self.order_summary, self.customer_stats]),
                w.HBox([self.lab_controls, self.stock]),
                w.HTML("<b>Time travel</b>: the read model as of any global position"),
                self.time_slider,
                self.as_of,
            ]
        )
        self.widget.add_class("cqrs-playground")

    def _build_lab_controls(self) -> None:
        """Keep the lab in a folder, or reset a kept lab (only after a confirmation)."""
        path = self.lab.path
        self.folder = w.Text(
            value="" if path is None else str(path),
            placeholder="labs/my-lab",
            description="folder",
        )
        self.folder.add_class("cqrs-folder")
        self.keep_button = _button("Keep lab in folder", "cqrs-keep-button")
        self.keep_button.tooltip = "Switch to the lab kept in this folder (new and empty if none)"
        self.reset_button = _button("Reset lab…", "cqrs-reset-button", "danger")
        self.reset_button.disabled = path is None  # only a kept lab has something to reset
        self.lab_status = _html("cqrs-lab-status")
        self.reset_question = _html("cqrs-reset-question")
        self.confirm_reset_button = _button(
            "Yes, delete it and start over", "cqrs-confirm-reset-button", "danger"
        )
        self.cancel_reset_button = _button("No, keep it", "cqrs-cancel-reset-button")
        self.reset_confirmation = w.VBox(
            [self.reset_question, w.HBox([self.confirm_reset_button, self.cancel_reset_button])],
            layout=w.Layout(display="none"),  # shown only while a reset waits for a yes
        )
        self.reset_confirmation.add_class("cqrs-reset-confirmation")
        self.lab_controls = w.VBox(
            [
                w.HTML("<b>Lab</b>"),
                self.lab_status,
                w.HBox([self.folder, self.keep_button, self.reset_button]),
                self.reset_confirmation,
            ],
            layout=w.Layout(width="560px"),
        )
