"""The write side: event-sourced aggregates, the event store (the source of truth), repositories."""
