"""Where "now" and "a new id" come from for code that was not handed a clock or id source.

An aggregate creating itself (``Order.create``) and an event's ``occurred_at`` default ask
:func:`now` and :func:`new_id`. Each lab owns its clock and ids, and the answer depends on
who is asking:

- **Inside a dispatch** (the code a command bus runs for one command), the answer comes
  from that bus's lab. The bus sets a :class:`Dispatch` in a ``ContextVar`` for the length
  of the handler, so two labs in one kernel never see each other's time or ids, not even
  when their commands interleave in threads or asyncio tasks.
- **Anywhere else** (an ``Order`` built by hand in a notebook, a test), the answer comes from
  the process's *unbound* sources: a simulated clock standing at ``LAB_EPOCH`` and ids
  seeded with 0, so a notebook still prints the same thing on every run. No lab ever
  installs itself here; :func:`install` replaces them explicitly (e.g. wall time and
  random ids for a script).

Commands are not stamped here: a command built outside any lab has no ``command_id`` or
``timestamp`` yet, and the bus that first handles it stamps both from its lab.
"""

from __future__ import annotations

import functools
import uuid
from contextvars import ContextVar
from datetime import datetime

from cqrs_lab.time_and_ids.clock import Clock, SimulatedClock
from cqrs_lab.time_and_ids.ids import IdSource, SeededIds


class Dispatch:
    """What the code a bus runs for one command may ask: its lab's clock and ids, and the
    command's id (the repository stores it with the command's first append)."""

    __slots__ = ("clock", "ids", "command_id", "recorded")

    def __init__(self, clock: Clock, ids: IdSource, command_id: uuid.UUID | None = None) -> None:
        self.clock = clock
        """The lab's clock."""
        self.ids = ids
        """The lab's id source."""
        self.command_id = command_id
        """The command being handled (None: not a command, e.g. a ``using`` block)."""
        self.recorded = False
        """Whether an append already carried ``command_id`` (a handler may save twice)."""


#: The dispatch running in this thread / asyncio task, if any.
current: ContextVar[Dispatch | None] = ContextVar("cqrs_lab_dispatch", default=None)

_clock: Clock = SimulatedClock()
_ids: IdSource = SeededIds(0)


def install(clock: Clock, ids: IdSource) -> None:
    """Replace the unbound clock and ids (used outside every dispatch). Labs never call this."""
    global _clock, _ids
    _clock, _ids = clock, ids


def unbound() -> tuple[Clock, IdSource]:
    """The clock and ids used outside every dispatch (a bus without a lab uses them too)."""
    return _clock, _ids


class using:  # noqa: N801 - used like a function: `with using(...)`
    """Answer :func:`now` and :func:`new_id` from ``clock`` and ``ids`` inside a block.

    Scoped to the current thread or asyncio task (a ``ContextVar``), and usable as a
    decorator; each entry saves its own token, so nesting and recursion restore correctly.
    """

    def __init__(self, clock: Clock, ids: IdSource) -> None:
        self._sources = clock, ids
        self._tokens: list = []

    def __enter__(self) -> None:
        self._tokens.append(current.set(Dispatch(*self._sources)))

    def __exit__(self, *exc_info: object) -> None:
        current.reset(self._tokens.pop())

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with self:
                return function(*args, **kwargs)

        return wrapper


def now() -> datetime:
    """The time on the dispatching lab's clock, or on the unbound clock outside a dispatch."""
    dispatch = current.get()
    return (_clock if dispatch is None else dispatch.clock).now()


def new_id() -> uuid.UUID:
    """A fresh id from the dispatching lab's ids, or from the unbound ids outside a dispatch."""
    dispatch = current.get()
    return (_ids if dispatch is None else dispatch.ids).new_id()
