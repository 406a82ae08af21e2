"""What goes over the wire: request bodies, responses, and the examples OpenAPI shows.

Requests reuse the domain's value objects (``OrderLine``, ``Address``), so a malformed
body fails FastAPI's validation with the field named (``body.items.0.quantity``) before
any command exists. Responses of the read side are the read model's own ``OrderView``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from cqrs_lab.orders import (
    ADA,
    DEMO_ADDRESS,
    Address,
    OrderLine,
    OrderStatus,
    OrderView,
)
from cqrs_lab.orders.values import MAX_LINES_PER_ORDER, Text


class _Body(BaseModel):
    # Unknown fields are an error, as they are for every message in the lab.
    model_config = ConfigDict(extra="forbid")


def _order_body(product_id: str, quantity: int) -> dict[str, Any]:
    # No price: the server charges the catalogue's (a price sent along must agree with it).
    item = {"product_id": product_id, "quantity": quantity}
    return {
        "customer_id": str(ADA),
        "items": [item],
        "shipping_address": DEMO_ADDRESS.model_dump(),
    }


#: Named request examples for POST /api/v1/orders (Swagger UI offers them in a menu).
CREATE_ORDER_EXAMPLES: dict[str, dict[str, Any]] = {
    "one_armchair": {
        "summary": "Ada buys one CRUNCHY-ARMCHAIR (201)",
        "value": _order_body("CRUNCHY-ARMCHAIR", 1),
    },
    "too_many_armchairs": {
        "summary": "Nine armchairs, five in stock (400: insufficient inventory)",
        "value": _order_body("CRUNCHY-ARMCHAIR", 9),
    },
    "zero_quantity": {
        "summary": "Quantity 0 (422: body.items.0.quantity)",
        "value": _order_body("CRUNCHY-ARMCHAIR", 0),
    },
}


class CreateOrderRequest(_Body):
    """The seed's ``CreateOrderRequest``: who orders what, shipped where.

    Each line's price is the catalogue's. A line may carry ``unit_price`` (the price the
    client showed); one that disagrees with the catalogue is refused (400, naming the
    product, the price sent and the catalogue's)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [CREATE_ORDER_EXAMPLES["one_armchair"]["value"]]}
    )
    customer_id: UUID
    items: list[OrderLine] = Field(min_length=1, max_length=MAX_LINES_PER_ORDER)
    shipping_address: Address


class CancelOrderRequest(_Body):
    """Why the order is cancelled (kept in the ``OrderCancelled`` event)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "changed my mind"}]})
    reason: Text


class CommandAccepted(BaseModel):
    """A command the write side accepted: the order it changed and where its events landed."""

    order_id: UUID
    """Taken from the ``OrderCreated`` event for a new order (not ``events[0]``: bug 5)."""
    position: int = Field(
        description="Event store position of the last event this command wrote. The read "
        "side has this write once X-Projection-Position >= position; send it back as "
        "?min_position= to refuse stale reads."
    )
    events: list[str] = Field(description="Types of the events written, in order.")


class OrderPage(BaseModel):
    """One page of a customer's orders from ``order_summary``, newest first."""

    items: list[OrderView]
    page: int
    page_size: int
    status: OrderStatus | None = None


class ProjectorStatus(BaseModel):
    """How far the read side trails the write side (the lab's ``Lag``)."""

    consistency: str = Field(description="'async' (projector runs when told) or 'inline'.")
    head: int = Field(description="Newest event store position.")
    position: int = Field(description="Every read model is complete up to here.")
    events_behind: int
    seconds_behind: float
    checkpoints: dict[str, int] = Field(description="Each projection's committed position.")


class CatchUpResult(BaseModel):
    """What one catch-up did."""

    applied: int = Field(description="Events projected by this call.")
    position: int
    head: int


class ErrorResponse(BaseModel):
    """A rejected request: what went wrong, naming the entity at fault."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "detail": "insufficient inventory for product CRUNCHY-ARMCHAIR: "
                    "requested 9, available 5",
                    "error": "InsufficientInventoryError",
                }
            ]
        }
    )
    detail: str
    error: str = Field(description="The domain error's type, e.g. 'InvalidOperationError'.")


class ProjectionFailure(ErrorResponse):
    """A catch-up stopped: a read model cannot apply a stored event (500).

    The projector rolled the failing batch back: every read model is still consistent, at
    its checkpoint. Fix the projection (or dead-letter the event) and catch up again.
    """

    projection: str = Field(description="The read model that failed, e.g. 'customer_stats'.")
    position: int = Field(description="Event store position of the event it could not apply.")
    event_type: str = Field(description="That event's type, e.g. 'OrderItemAdded'.")
