"""Clocks: the lab tells time through one of these, never through ``datetime.now``.

A teaching lab must print the same thing on every run, and projection lag must be
measurable without waiting, so the default is a :class:`SimulatedClock` that only moves
when you advance it. :class:`SystemClock` is there for scripts that want wall time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

#: Where every simulated clock starts unless told otherwise: a fixed, memorable instant.
LAB_EPOCH = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)


@runtime_checkable
class Clock(Protocol):
    """Anything that can say what time it is (always timezone-aware UTC)."""

    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class SimulatedClock:
    """A clock that stands still until :meth:`advance` moves it.

    Raises:
        ValueError: if ``start`` is naive, or if asked to move backwards.
    """

    def __init__(self, start: datetime = LAB_EPOCH) -> None:
        if start.tzinfo is None:
            raise ValueError("SimulatedClock start must be timezone-aware (use UTC)")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float | timedelta = 1.0) -> datetime:
        """Move time forward by ``seconds`` (a number or a timedelta); returns the new time."""
        step = seconds if isinstance(seconds, timedelta) else timedelta(seconds=seconds)
        if step < timedelta(0):
            raise ValueError(f"a clock cannot go backwards (asked to advance by {step})")
        self._now += step
        return self._now

    def __repr__(self) -> str:
        return f"SimulatedClock(now={self._now.isoformat()})"
