"""Presentation: tables, charts and widgets for notebooks. Imports the core, never the reverse.

Each module here is one view; re-export its public functions below.
"""

from cqrs_lab.presentation.blue_green_race import BlueGreenView, render_race
from cqrs_lab.presentation.fault_panel import FaultPanel
from cqrs_lab.presentation.flow_view import FlowView
from cqrs_lab.presentation.lab_map import lab_map
from cqrs_lab.presentation.lag_chart import lag_chart
from cqrs_lab.presentation.lag_svg import render_lag_chart
from cqrs_lab.presentation.playground import Playground
from cqrs_lab.presentation.playground_views import (
    describe_error,
    render_as_of,
    render_customer_stats,
    render_error,
    render_events,
    render_order_summary,
)
from cqrs_lab.presentation.stepper_view import ProjectionStepper
from cqrs_lab.presentation.stream import key_fields, short_id, stream_table
from cqrs_lab.presentation.throughput import progress_bar, throughput_chart, timed
from cqrs_lab.presentation.timeline_chart import COLOURS, REJECTED, is_rejected, timeline_chart

__all__: list[str] = [
    "BlueGreenView",
    "FaultPanel",
    "FlowView",
    "ProjectionStepper",
    "render_race",
    "COLOURS",
    "Playground",
    "REJECTED",
    "describe_error",
    "is_rejected",
    "key_fields",
    "lab_map",
    "lag_chart",
    "progress_bar",
    "render_as_of",
    "render_customer_stats",
    "render_error",
    "render_events",
    "render_lag_chart",
    "render_order_summary",
    "short_id",
    "stream_table",
    "throughput_chart",
    "timed",
    "timeline_chart",
]
