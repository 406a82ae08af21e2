"""Damaged storage, on purpose: an event that is not what its type says.

Storage corruption and bad migrations happen; the projector must refuse such an event with
a clear error, not guess. :func:`tamper_event` damages one position *beside* a store (no
store is ever written behind its back): the read side reads every source through
:class:`StoredEvents`, which shows the damage. It works the same for any event source.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from weakref import WeakKeyDictionary

from cqrs_lab.write_side.event_source import EventSource
from cqrs_lab.write_side.event_store import RecordedEvent

# What tamper_event replaced, per source: position -> the damaged record. The source itself
# is never written; readers see the damage through ``as_stored(source)``.
_DAMAGE: WeakKeyDictionary[Any, dict[int, RecordedEvent]] = WeakKeyDictionary()


def _damage_of(source: Any) -> dict[int, RecordedEvent]:
    """The damage recorded for ``source`` or for the source it wraps (``.source``)."""
    while source is not None:
        try:
            damage = _DAMAGE.get(source)
        except TypeError:  # not weak-referenceable: nothing was ever recorded for it
            damage = None
        if damage is not None:
            return damage
        source = getattr(source, "source", None)
    return {}


class StoredEvents:
    """``source`` as the projector reads it: with any damage :func:`tamper_event` recorded.

    A healthy source is passed through unchanged; each damaged position is replaced by its
    damaged record. Works for any event source (in memory, SQLite, PostgreSQL), because the
    damage lives beside the source, not inside it.
    """

    def __init__(self, source: EventSource) -> None:
        self.source = source
        """The source this view reads from."""

    @property
    def head(self) -> int:
        return self.source.head

    def read_all(self, *, after: int = 0, limit: int | None = None) -> list[RecordedEvent]:
        events = self.source.read_all(after=after, limit=limit)
        damage = _damage_of(self.source)
        if not damage or not events:
            return events  # type: ignore[return-value]
        last = events[-1].position
        if not any(after < position <= last for position in damage):
            return events  # type: ignore[return-value]
        return [damage.get(r.position, r) for r in events]


def tamper_event(store: EventSource, position: int, replacement: object) -> object:
    """Damage the event stored at ``position`` (storage corruption, a bad migration).

    No event store allows this, and none is written here: the damaged record is kept
    beside ``store``, and every read-side reader of it (projector, time travel, the
    consistency check) sees the damage, so you can watch the projector refuse the damaged
    event with a clear error instead of guessing (also an event of the right type whose
    value no command could store, ``model_copy(update={"unit_price": -1.0})``: it is
    validated again and refused naming its position and field). The write side reads its streams from
    the store itself and keeps the true events. Returns the event that was visible before,
    so a second call puts it back.

    Raises:
        ValueError: if no event is stored at ``position``.
    """
    if not 1 <= position <= store.head:
        raise ValueError(f"no event at position {position}; the store holds 1..{store.head}")
    [stored] = store.read_all(after=position - 1, limit=1)
    damage = _DAMAGE.setdefault(store, {})
    before = damage.get(position, stored).event
    if replacement is stored.event or replacement == stored.event:
        damage.pop(position, None)  # repaired: the store's own event shows again
    else:
        damage[position] = replace(stored, event=replacement)  # type: ignore[arg-type]
    return before


def tampered_positions(store: EventSource) -> set[int]:
    """Positions :func:`tamper_event` has damaged in ``store`` (empty for a sound store).

    The projector's fast rebuild skips per-event checks; it takes the careful path, which
    names any damaged event, whenever this is not empty.
    """
    return set(_damage_of(store))
