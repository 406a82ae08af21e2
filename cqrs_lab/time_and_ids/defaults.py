"""The clock and id source that message defaults use.

A command's ``command_id`` and ``timestamp``, and an event's ``occurred_at``, are filled in
when the message is created, before it meets any bus. To keep notebooks reproducible those
defaults must come from the lab's simulated clock and seeded ids, so ``build_lab`` installs
them here. Until a lab is built, messages use wall time and random ids, as the seed does.

A plain module-level slot (not a ``ContextVar``) on purpose: Jupyter runs each cell in a
fresh context, so a context variable set in one cell would be gone in the next.
"""

from __future__ import annotations

import itertools
import uuid
from contextlib import ContextDecorator
from datetime import datetime

from cqrs_lab.time_and_ids.clock import Clock, SystemClock
from cqrs_lab.time_and_ids.ids import IdSource, RandomIds, uuid4_from_bits

_clock: Clock = SystemClock()
_ids: IdSource = RandomIds()


def install(clock: Clock, ids: IdSource) -> None:
    """Make ``clock`` and ``ids`` the source of every message default from now on."""
    global _clock, _ids
    _clock, _ids = clock, ids


def swap(clock: Clock, ids: IdSource) -> tuple[Clock, IdSource]:
    """Install ``clock`` and ``ids`` and return the pair installed before.

    ``saved = swap(clock, ids)`` then ``swap(*saved)`` in a ``finally`` is what
    :class:`using` does; the command bus calls it directly, once per command.
    """
    global _clock, _ids
    saved = _clock, _ids
    _clock, _ids = clock, ids
    return saved


class using(ContextDecorator):  # noqa: N801 - used like a function: `with using(...)`
    """Install ``clock`` and ``ids`` for the duration of a block, then put back the old ones.

    The command bus runs each handler inside this, so the aggregates and events a lab's
    handler creates take that lab's time and ids even when another lab was built later.
    A small class rather than ``@contextmanager``: the bus enters it once per command,
    and a generator-based context manager costs three times as much to enter and leave.
    """

    def __init__(self, clock: Clock, ids: IdSource) -> None:
        self._sources = clock, ids
        self._saved: tuple[Clock, IdSource] | None = None

    def __enter__(self) -> None:
        global _clock, _ids
        self._saved = _clock, _ids
        _clock, _ids = self._sources

    def __exit__(self, *exc_info: object) -> None:
        global _clock, _ids
        _clock, _ids = self._saved  # type: ignore[misc]

    def _recreate_cm(self) -> using:
        # As a decorator, each call (even a recursive one) gets its own saved pair.
        return using(*self._sources)


def now() -> datetime:
    """The current time on the installed clock."""
    return _clock.now()


def new_id() -> uuid.UUID:
    """A fresh id from the installed id source."""
    return _ids.new_id()


# How many command ids this process has handed out (see new_command_id).
_command_ids_made = itertools.count()


def new_command_id() -> uuid.UUID:
    """A fresh command id: the installed source's next id, made unique in the process.

    Two labs built with the same seed hand out the same ids. A command created for the
    first lab after the second was built would repeat an id the first lab's bus has
    already seen, and the bus would take the new request for a resend and drop it. Mixing
    in a process-wide count (low bits only: the UUID stays version 4) keeps ids
    reproducible for a notebook run top to bottom, and unique across labs.
    """
    return uuid4_from_bits(_ids.new_id().int ^ next(_command_ids_made))
