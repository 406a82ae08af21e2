"""Watching the lab run: lag, its monitor and alerts, the timeline of what happened."""
