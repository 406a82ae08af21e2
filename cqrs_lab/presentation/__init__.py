"""Presentation: tables, charts and widgets for notebooks. Imports the core, never the reverse.

Each module here is one view; re-export its public functions below.
"""

__all__: list[str] = []
