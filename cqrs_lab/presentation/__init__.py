"""Presentation: tables, charts and widgets for notebooks. Imports the core, never the reverse.

Each module here is one view; re-export its public functions below.
"""

from cqrs_lab.presentation.lag_chart import lag_chart

__all__: list[str] = ["lag_chart"]
