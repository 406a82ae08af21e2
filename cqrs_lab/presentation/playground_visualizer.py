"""The playground's visualizer: the flow view, the projection stepper, the fault panel and
the blue-green race, as tabs under the dashboard, all on the playground's lab.

The flow view sends what the playground's form holds; every view tells the playground when
it changed the lab, so the tables and charts above redraw. The stepper takes in new events
when its tab is opened (stepping is its own work, not every click's).
"""

from __future__ import annotations

import ipywidgets as w

from cqrs_lab.orders import OrderProjectionV2
from cqrs_lab.presentation.blue_green_race import BlueGreenView
from cqrs_lab.presentation.fault_panel import FaultPanel
from cqrs_lab.presentation.flow_view import FlowView
from cqrs_lab.presentation.stepper_view import ProjectionStepper

TABS = ("Flow", "Stepper", "Faults", "Blue-green")


class Visualizer:
    """The four views over ``playground.lab``, in ``widget`` (a Tab)."""

    def __init__(self, playground) -> None:
        lab = playground.lab
        self.flow = FlowView(
            lab,
            command=playground.form.command,
            on_change=playground.refresh,
            paused=lambda: playground.paused,
        )
        self.stepper = ProjectionStepper(lab)
        self.faults = FaultPanel(
            lab, on_change=playground.refresh, paused=lambda: playground.paused
        )
        self.blue_green = BlueGreenView(
            lab, lambda: [OrderProjectionV2(lab.customers)], on_change=playground.refresh
        )
        views = [self.flow, self.stepper, self.faults, self.blue_green]
        self.widget = w.Tab(children=[view.widget for view in views], titles=TABS)
        self.widget.add_class("cqrs-visualizer")
        self.widget.observe(self._opened, names="selected_index")

    def _opened(self, change) -> None:
        if change["new"] == TABS.index("Stepper"):
            self.stepper.refresh()

    def refresh(self) -> None:
        """Redraw what shows the lab's live state (the flow diagram's counts)."""
        self.flow.refresh()
