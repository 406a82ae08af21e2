"""Teaching routes for the projector: see the lag, and catch up on demand.

In production a projector runs on its own, in the background. In the lab (async mode) it
runs when told, so the gap between a write and its read model stays open until a learner
closes it, here over HTTP: ``POST /api/v1/projector/catch-up``.
"""

from __future__ import annotations

from fastapi import APIRouter

from cqrs_lab.api.dependencies import LabDep
from cqrs_lab.api.errors import error_responses
from cqrs_lab.api.schemas import CatchUpResult, ProjectorStatus

router = APIRouter(prefix="/api/v1/projector", tags=["projector (teaching)"])


@router.get("", summary="How far the read side is behind")
async def projector_status(lab: LabDep) -> ProjectorStatus:
    """The projector's lag: event store head, read side position, events and seconds behind."""
    lag = lab.lag()
    return ProjectorStatus(
        consistency=lab.consistency,
        head=lag.head,
        position=lag.position,
        events_behind=lag.events_behind,
        seconds_behind=lag.seconds_behind,
        checkpoints=lab.projector.checkpoints(),
    )


@router.post(
    "/catch-up",
    summary="Project every pending event now",
    responses=error_responses("projection_failed"),
)
async def catch_up(lab: LabDep) -> CatchUpResult:
    """Run the projector until every read model has every event (a lab control, not a
    production route: a real projector would not wait to be asked). If a read model cannot
    apply an event, the answer is 500 naming the projection, position and event type; the
    failing batch is rolled back, so the read side stays consistent at its checkpoint."""
    applied = lab.catch_up()
    return CatchUpResult(
        applied=applied, position=lab.projector.position, head=lab.event_store.head
    )
