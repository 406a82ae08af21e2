"""HandlerError: a projection's own code raised, and the projector says where.

A read model may fail in ways nobody foresaw (a ``TypeError`` in its fold, a DuckDB
constraint). Whatever it raises, the projector reports a :class:`ProjectionError` naming
the projection and the event's position, with the original error kept as ``error`` (and
as the exception's ``__cause__``), so the cause is never lost and the culprit is named.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from cqrs_lab.read_side.projection import ProjectionError
from cqrs_lab.write_side.event_store import RecordedEvent

if TYPE_CHECKING:
    from cqrs_lab.read_side.projection import Projection


def describe(error: BaseException) -> str:
    """``ErrorType: message``: what failed, without a traceback."""
    return f"{type(error).__name__}: {error}"


class HandlerError(ProjectionError):
    """``projection`` raised ``error`` (not a ProjectionError) while applying ``events``.

    Attributes:
        projection, position, event_type: as for :class:`ProjectionError` (the first event).
        error: the exception the projection raised.
        events: the events it was applying; one event once the projector has located it.
    """

    def __init__(
        self, projection: str, events: Sequence[RecordedEvent], error: BaseException
    ) -> None:
        super().__init__(projection, events[0], describe(error))
        self.error = error
        self.events = list(events)
        if len(events) > 1:
            self.args = (
                f"{projection} failed on the batch of positions {events[0].position}-"
                f"{events[-1].position}: {describe(error)}",
            )


def handler_error(
    projection: Projection, events: Sequence[RecordedEvent], error: Exception
) -> HandlerError:
    """The :class:`HandlerError` for ``projection`` failing with ``error`` on ``events``."""
    return HandlerError(projection.name, events, error)
