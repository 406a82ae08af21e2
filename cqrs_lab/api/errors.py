"""Domain errors to HTTP statuses, in one table.

Every handler rejects a command before anything is saved, so each of these responses
means "nothing changed". Malformed requests never get this far: FastAPI answers them
with 422 and the field's location (``["body", "items", 0, "quantity"]``).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from cqrs_lab.api.consistency import (
    NotYetProjectedError,
    OrderNotInReadModelError,
    PositionBeyondHeadError,
)
from cqrs_lab.api.schemas import ErrorResponse
from cqrs_lab.orders import OrderNotFoundError, OrderRejected, UnknownCustomerError
from cqrs_lab.write_side.event_store import ConcurrencyError


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
}


async def _error_response(request: Request, error: Exception) -> JSONResponse:
    status = next(STATUS_FOR[t] for t in type(error).__mro__ if t in STATUS_FOR)
    body = ErrorResponse(detail=str(error), error=type(error).__name__)
    return JSONResponse(body.model_dump(), status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error in :data:`STATUS_FOR` with an :class:`ErrorResponse`."""
    for error_type in STATUS_FOR:
        app.add_exception_handler(error_type, _error_response)


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
}


_MEANING = {
    400: "Rejected (bad request or business rule); nothing was written.",
    404: "No such order or customer.",
    409: "Conflict with the current state; retry later.",
}


def error_responses(*names: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries documenting the :data:`EXAMPLES` called ``names``."""
    responses: dict[int | str, dict[str, Any]] = {}
    for name in names:
        status, error, detail = EXAMPLES[name]
        entry = responses.setdefault(
            status,
            {"model": ErrorResponse, "description": _MEANING[status], "content": {}},
        )
        examples = entry["content"].setdefault("application/json", {"examples": {}})
        examples["examples"][name] = {
            "summary": error,
            "value": {"detail": detail, "error": error},
        }
    return responses
