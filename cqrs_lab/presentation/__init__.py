"""Presentation: tables, charts and widgets for notebooks. Imports the core, never the reverse.

Each module here is one view; re-export its public functions below.
"""

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

__all__: list[str] = [
    "Playground",
    "describe_error",
    "render_as_of",
    "render_customer_stats",
    "render_error",
    "render_events",
    "render_lag_chart",
    "render_order_summary",
]
