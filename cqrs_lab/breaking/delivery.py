"""What the projector checks about a delivered batch before any read model sees it.

The store's global positions are gap-free (1, 2, 3, ...), so the projector can tell a good
delivery from a bad one by position alone: the next event must be exactly one past the
checkpoint. An event at or below it is a duplicate (dropped); one further ahead means
something is missing (a gap), and the projector stops there rather than skip ahead, then
re-reads from its checkpoint. The same goes for the events themselves: anything that is
not a complete domain event of the right stream, with every value inside its type's bounds,
is refused, naming what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.write_side.event_store import RecordedEvent


@dataclass(frozen=True)
class DeliveryIncident:
    """Something the projector noticed and handled while taking a delivery."""

    kind: str
    """``"duplicate"``, ``"gap"`` or ``"crash"``."""
    position: int
    """The event position it concerns."""
    detail: str
    """A sentence for people."""


class DeliveryStalledError(RuntimeError):
    """Deliveries keep arriving with a gap, so the projector cannot go on without skipping.

    Attributes:
        position: the checkpoint the projector is waiting at. head: the source's head.
        gap: the last gap it refused.
    """

    def __init__(self, position: int, head: int, gap: DeliveryIncident) -> None:
        self.position, self.head, self.gap = position, head, gap
        super().__init__(
            f"catch-up stalled at position {position} of {head}: every delivery was refused "
            f"at a gap ({gap.detail}); the projector never skips ahead. Check the transport "
            "(projector.faults, projector.incidents) and call catch_up() again"
        )


def in_order(
    delivered: list[RecordedEvent], after: int
) -> tuple[list[RecordedEvent], list[DeliveryIncident]]:
    """The gap-free run of ``delivered`` that continues from checkpoint ``after``.

    Duplicates (positions already seen) are dropped; the run ends at the first gap.
    """
    # The usual case, checked at C speed: exactly after+1, after+2, ... in order.
    if [r.position for r in delivered] == list(range(after + 1, after + 1 + len(delivered))):
        return list(delivered), []
    accepted: list[RecordedEvent] = []
    incidents: list[DeliveryIncident] = []
    expected = after + 1
    for recorded in delivered:
        if recorded.position < expected:
            incidents.append(
                DeliveryIncident(
                    "duplicate", recorded.position, f"position {recorded.position} seen already"
                )
            )
        elif recorded.position > expected:
            incidents.append(
                DeliveryIncident(
                    "gap",
                    recorded.position,
                    f"expected position {expected}, got {recorded.position}: "
                    "stopped and will re-read from the checkpoint",
                )
            )
            break
        else:
            accepted.append(recorded)
            expected += 1
    return accepted, incidents


_REQUIRED: dict[type, frozenset[str]] = {}


def event_problem(recorded: RecordedEvent) -> str | None:
    """Why ``recorded`` cannot be projected (not an event, fields missing, wrong stream, a
    value out of its type's bounds: see :func:`invalid_value`), or None.

    The projector asks only about positions damaged behind the store's back; the cheap
    checks (a dict lookup, a subset test, one comparison) come before validating again.
    """
    event = recorded.event
    kind = type(event)
    required = _REQUIRED.get(kind)
    if required is None:
        if not isinstance(event, DomainEvent):
            return f"position {recorded.position} holds a {kind.__name__}, not a DomainEvent"
        required = _REQUIRED[kind] = frozenset(
            name for name, info in kind.model_fields.items() if info.is_required()
        )
    if not required.issubset(event.__pydantic_fields_set__):
        missing = ", ".join(sorted(required - event.__pydantic_fields_set__))
        return f"{kind.__name__} is missing field(s) {missing}"
    if event.aggregate_id != recorded.stream_id:
        return f"{kind.__name__} belongs to {event.aggregate_id}, not stream {recorded.stream_id}"
    return invalid_value(recorded)


def invalid_value(recorded: RecordedEvent) -> str | None:
    """Which field of ``recorded``'s event breaks its type's bounds, or None.

    An event changed on the way (``model_copy(update=...)`` validates nothing) can carry a
    value no command could have stored: a negative price, ``1e400`` (infinity), a quantity
    of zero. Folded in, it turns a total into ``inf`` or a count negative. So a damaged
    event is validated again, as its type would validate it at append, and refused naming
    the position, the field and the value. Only damaged positions come here (the projector
    asks for those alone): a store validates every event it appends.
    """
    event = recorded.event
    kind = type(event)
    try:
        kind.model_validate(event.model_dump())
    except ValidationError as invalid:
        first = invalid.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(the event)"
        return (
            f"{kind.__name__} at position {recorded.position} has an invalid {field} "
            f"({first['input']!r}): {first['msg']}"
        )
    return None
