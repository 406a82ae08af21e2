"""Eventual consistency made visible over HTTP: positions in bodies and headers.

A write answers with the event store ``position`` of its last event. Every response under
``/api/`` carries the read side's position, so a client can tell "not projected yet" from
"does not exist": its write is in the read models once ``X-Projection-Position`` reaches
the position it was given. A read may also demand that with ``?min_position=``.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.orders import Lab

PROJECTION_POSITION = "X-Projection-Position"
"""Header: every read model is complete up to this event store position."""
EVENT_STORE_HEAD = "X-Event-Store-Head"
"""Header: the newest event store position."""
EVENTS_BEHIND = "X-Events-Behind"
"""Header: events stored but not yet in every read model (head - projection position)."""

EVENTUAL_READS = (
    "\n\nReads come from the read model. With the lab in async mode it is *eventually* "
    "consistent: an order placed moments ago may not be projected yet (a GET of it answers "
    "404, a list leaves it out), and a cancel or ship may not show yet. Every response carries `X-Projection-Position`, "
    "`X-Event-Store-Head` and `X-Events-Behind`; a write answers with its `position`, and "
    "`?min_position=` turns a stale read into a 409. Inline mode gives read-your-writes."
)
"""Appended to the description of every read route (OpenAPI)."""


class NotYetProjectedError(Exception):
    """A read asked for ``min_position`` but the read side has not got there yet (409).

    Attributes: min_position, position (the read side's), head (the event store's).
    """

    def __init__(self, min_position: int, position: int, head: int) -> None:
        self.min_position, self.position, self.head = min_position, position, head
        super().__init__(
            f"not yet projected: min_position {min_position} asked, the read side is at "
            f"position {position} of {head}; retry later (or POST /api/v1/projector/catch-up)"
        )


class PositionBeyondHeadError(ValueError):
    """``min_position`` names an event that was never written (400). Same attributes."""

    def __init__(self, min_position: int, position: int, head: int) -> None:
        self.min_position, self.position, self.head = min_position, position, head
        super().__init__(
            f"min_position {min_position} is beyond the event store's head ({head}): "
            "no write has that position"
        )


class OrderNotInReadModelError(LookupError):
    """GET of an order the read model does not have (404).

    If the read side is caught up the order does not exist; if it is behind, the order may
    just not be projected yet. The message says which. Attributes: order_id, position, head.
    """

    def __init__(self, order_id: UUID, position: int, head: int) -> None:
        self.order_id, self.position, self.head = order_id, position, head
        if position == head:
            why = f"the read side is up to date at position {head}, so no such order exists"
        else:
            why = (
                f"the read side is {head - position} events behind (position {position} of "
                f"{head}): an order placed moments ago may not be projected yet"
            )
        super().__init__(f"order {order_id} is not in the read model; {why}")


def write_position(lab: Lab, events: Sequence[DomainEvent]) -> int:
    """Event store position of the newest of ``events`` (a command's result).

    The bus returns domain events; the store knows where they landed. An event's stream
    version names its record in that stream.
    """
    return max(
        lab.event_store.read_stream(event.aggregate_id, after_version=event.version - 1)[0].position
        for event in events
    )


def require_projected(lab: Lab, min_position: int | None) -> None:
    """Refuse a read the read side cannot answer freshly enough.

    Raises:
        PositionBeyondHeadError: ``min_position`` is past the newest event.
        NotYetProjectedError: the projector has not reached ``min_position`` yet.
    """
    if min_position is None:
        return
    lag = lab.lag()
    if min_position > lag.head:
        raise PositionBeyondHeadError(min_position, lag.position, lag.head)
    if min_position > lag.position:
        raise NotYetProjectedError(min_position, lag.position, lag.head)


def position_headers(lab: Lab) -> dict[str, str]:
    """The read side's position, as response headers."""
    head, position = lab.event_store.head, lab.projector.position
    return {
        PROJECTION_POSITION: str(position),
        EVENT_STORE_HEAD: str(head),
        EVENTS_BEHIND: str(head - position),
    }
