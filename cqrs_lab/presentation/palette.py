"""One colour palette for every chart: Event Modeling's colours, named by what they mean.

Event Modeling draws commands blue, events orange and read models green; the lab's charts
(timeline, lab map, lag charts, throughput bars) all take their colours from here, so one
thing has one colour everywhere: "events behind" is orange in the matplotlib lag chart
and in the playground's SVG lag chart alike, and red always means a failure or an alert.
"""

from __future__ import annotations

BLUE = "#3b82f6"
ORANGE = "#f59e0b"
GREEN = "#22c55e"
RED = "#dc2626"
YELLOW = "#facc15"
GREY = "#6b7280"
LIGHT_GREY = "#e5e7eb"

COMMAND = BLUE
"""A command: someone asked."""
EVENT = ORANGE
"""An event: it happened."""
READ_MODEL = GREEN
"""A read model: it became visible to queries."""
AGGREGATE = YELLOW
"""The aggregate that decides (Event Modeling's yellow)."""
QUERY = LIGHT_GREY
"""A query box on the lab map."""
REJECTED = RED
"""A rejected command, a failure."""
ALERT = RED
"""A lag alert that fired."""
THRESHOLD = GREY
"""A threshold line (dashed)."""

EVENTS_BEHIND = EVENT
"""The "events behind" series of both lag charts (events waiting: the event colour)."""
SECONDS_BEHIND = BLUE
"""The "seconds behind" series of both lag charts."""

KINDS = {"command": COMMAND, "event": EVENT, "read-model": READ_MODEL}
"""Colour per timeline kind."""

PROJECTION_MODES = (RED, BLUE, GREEN)
"""Throughput bars in order: per-event SQL (the slow one), batched, set-based."""
