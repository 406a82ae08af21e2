"""Errors to HTTP statuses, in one table, and every error body in one shape.

Every handler rejects a command before anything is saved, so each 4xx here means
"nothing changed". Malformed requests never get this far: FastAPI answers them with 422
and the field's location (``["body", "items", 0, "quantity"]``), made always
serialisable in :mod:`cqrs_lab.api.validation`.

A :class:`~cqrs_lab.ProjectionError` from the catch-up route is a 500 with a body naming
the projection, the event's position and type. 500, because the request was fine (a 4xx
would tell the client to change it) and retrying cannot help (a 409 says the client may
resolve the conflict and resend): the server's own history holds an event its read model
cannot apply. The projector rolled that batch back, so the read side stays consistent at
its checkpoint (``X-Projection-Position``) until the projection or the event is fixed.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from cqrs_lab import ConcurrencyError, InjectedCrash, ProjectionError
from cqrs_lab.api.consistency import (
    NotYetProjectedError,
    OrderNotInReadModelError,
    PositionBeyondHeadError,
)
from cqrs_lab.api.schemas import ErrorResponse, ProjectionFailure
from cqrs_lab.api.validation import (
    MAX_BODY_BYTES,
    UnsupportedMediaTypeError,
    answer_validation_error,
    encodable,
)
from cqrs_lab.orders import OrderNotFoundError, OrderRejected, UnknownCustomerError


class CustomerNotFoundError(UnknownCustomerError):
    """An unknown customer named in the URL path: 404 (in a request body it is a 400)."""


#: Error type -> status. Starlette picks the entry nearest in the error's MRO, so
#: ``OrderNotFoundError`` (an ``OrderRejected`` too) gets 404, not 400.
STATUS_FOR: dict[type[Exception], int] = {
    # Insufficient inventory, invalid operation, unknown product or customer.
    OrderRejected: 400,
    PositionBeyondHeadError: 400,
    OrderNotFoundError: 404,
    OrderNotInReadModelError: 404,
    CustomerNotFoundError: 404,
    # Someone else changed the order between load and save: reload and retry.
    ConcurrencyError: 409,
    NotYetProjectedError: 409,
    UnsupportedMediaTypeError: 415,
    # The catch-up route: a read model cannot apply a stored event, or a planned crash.
    ProjectionError: 500,
    InjectedCrash: 500,
}


def _status_of(error: Exception) -> int:
    return next(STATUS_FOR[t] for t in type(error).__mro__ if t in STATUS_FOR)


async def _error_response(request: Request, error: Exception) -> JSONResponse:
    body = ErrorResponse(detail=encodable(str(error)), error=type(error).__name__)
    return JSONResponse(body.model_dump(), status_code=_status_of(error))


async def _projection_failed(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ProjectionError)
    body = ProjectionFailure(
        detail=encodable(str(error)),
        error=type(error).__name__,
        projection=error.projection,
        position=error.position,
        event_type=error.event_type,
    )
    return JSONResponse(body.model_dump(), status_code=500)


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    """Starlette's own errors (404 route, 405 method, 413 body...) in the same shape."""
    assert isinstance(error, HTTPException)
    detail = str(error.detail)
    if error.status_code == 400 and error.__cause__ is not None:
        # FastAPI's "There was an error parsing the body": say what the parser met.
        detail = f"{detail}: {error.__cause__}"[:300]
    body = ErrorResponse(detail=encodable(detail), error=HTTPStatus(error.status_code).phrase)
    return JSONResponse(body.model_dump(), status_code=error.status_code, headers=error.headers)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error in :data:`STATUS_FOR` with an :class:`ErrorResponse` (a
    :class:`ProjectionFailure` for a projection), and malformed requests with a safe 422."""
    for error_type in STATUS_FOR:
        projection = issubclass(error_type, ProjectionError)
        app.add_exception_handler(error_type, _projection_failed if projection else _error_response)
    app.add_exception_handler(RequestValidationError, answer_validation_error)
    app.add_exception_handler(HTTPException, _http_error)


#: Example rejections for the OpenAPI docs: name -> (status, error type, detail).
EXAMPLES: dict[str, tuple[int, str, str]] = {
    "insufficient_inventory": (
        400,
        "InsufficientInventoryError",
        "insufficient inventory for product CRUNCHY-ARMCHAIR: requested 9, available 5",
    ),
    "unknown_product": (400, "UnknownProductError", "unknown product 'FLYING-CARPET'"),
    "unknown_customer": (
        400,
        "UnknownCustomerError",
        "unknown customer 00000000-0000-4000-8000-000000000bad",
    ),
    "cancel_shipped": (
        400,
        "InvalidOperationError",
        "Cannot cancel shipped order 00000000-0000-4000-8000-0000000000aa",
    ),
    "ship_cancelled": (
        400,
        "InvalidOperationError",
        "Cannot ship cancelled order 00000000-0000-4000-8000-0000000000aa",
    ),
    "order_not_found": (
        404,
        "OrderNotFoundError",
        "Order 00000000-0000-4000-8000-0000000000aa does not exist",
    ),
    "not_in_read_model": (
        404,
        "OrderNotInReadModelError",
        "order 00000000-0000-4000-8000-0000000000aa is not in the read model; the read side "
        "is 2 events behind (position 3 of 5): an order placed moments ago may not be "
        "projected yet",
    ),
    "customer_not_found": (
        404,
        "CustomerNotFoundError",
        "unknown customer 00000000-0000-4000-8000-000000000bad",
    ),
    "not_yet_projected": (
        409,
        "NotYetProjectedError",
        "not yet projected: min_position 5 asked, the read side is at position 3 of 5; "
        "retry later (or POST /api/v1/projector/catch-up)",
    ),
    "not_json": (
        415,
        "UnsupportedMediaTypeError",
        "the request body must be JSON (Content-Type: application/json); "
        "got Content-Type 'text/plain'",
    ),
    "too_large": (
        413,
        "Content Too Large",
        f"the request body is larger than {MAX_BODY_BYTES} bytes",
    ),
    "projection_failed": (
        500,
        "ProjectionError",
        "customer_stats cannot apply OrderItemAdded at position 7: order "
        "00000000-0000-4000-8000-0000000000aa has no OrderCreated before this event",
    ),
}


_EXAMPLE_EXTRAS: dict[str, dict[str, Any]] = {
    "projection_failed": {
        "projection": "customer_stats",
        "position": 7,
        "event_type": "OrderItemAdded",
    }
}

_MEANING = {
    400: "Rejected (bad request or business rule); nothing was written.",
    404: "No such order or customer.",
    409: "Conflict with the current state; retry later.",
    413: "The request body is too large; nothing was read.",
    415: "The request body is not JSON; nothing was read.",
    500: "A read model cannot apply a stored event; the read side stays at its checkpoint.",
}


def error_responses(*names: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries documenting the :data:`EXAMPLES` called ``names``."""
    responses: dict[int | str, dict[str, Any]] = {}
    for name in names:
        status, error, detail = EXAMPLES[name]
        model = ProjectionFailure if name == "projection_failed" else ErrorResponse
        entry = responses.setdefault(
            status, {"model": model, "description": _MEANING[status], "content": {}}
        )
        examples = entry["content"].setdefault("application/json", {"examples": {}})
        examples["examples"][name] = {
            "summary": error,
            "value": {"detail": detail, "error": error, **_EXAMPLE_EXTRAS.get(name, {})},
        }
    return responses
