"""Presentation: tables, charts and widgets for notebooks. Imports the core, never the reverse.

Each module here is one view; re-export its public functions below.
"""

from cqrs_lab.presentation.lab_map import lab_map
from cqrs_lab.presentation.lag_chart import lag_chart
from cqrs_lab.presentation.stream import key_fields, short_id, stream_table
from cqrs_lab.presentation.timeline_chart import COLOURS, REJECTED, is_rejected, timeline_chart

__all__: list[str] = [
    "COLOURS",
    "REJECTED",
    "is_rejected",
    "key_fields",
    "lab_map",
    "lag_chart",
    "short_id",
    "stream_table",
    "timeline_chart",
]
