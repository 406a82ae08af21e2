"""What routes ask FastAPI for: the lab being served, and the shared ``min_position``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from cqrs_lab.orders import Lab


def get_lab(request: Request) -> Lab:
    """The lab this app serves (a dependency, so tests may override it)."""
    return request.app.state.lab


LabDep = Annotated[Lab, Depends(get_lab)]
"""A route parameter typed ``LabDep`` receives the served lab."""

MinPosition = Annotated[
    int | None,
    Query(
        ge=0,
        description="Refuse a stale answer: 409 unless the read side has projected this "
        "event store position (the `position` a write returned).",
    ),
]
"""The optional ``?min_position=`` of read routes."""
