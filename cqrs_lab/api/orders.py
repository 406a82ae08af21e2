"""The order routes: the seed's two (place, read), plus cancel and ship.

Writes go through ``lab.command_bus``; reads through ``lab.query_bus`` only, so they see
the read model, never the aggregate repository (the seed's FORBIDDEN list).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Request, Response

from cqrs_lab.api.consistency import (
    EVENTUAL_READS,
    OrderNotInReadModelError,
    require_projected,
    write_position,
)
from cqrs_lab.api.dependencies import LabDep, MinPosition
from cqrs_lab.api.errors import error_responses
from cqrs_lab.api.schemas import (
    CREATE_ORDER_EXAMPLES,
    CancelOrderRequest,
    CommandAccepted,
    CreateOrderRequest,
)
from cqrs_lab.api.validation import require_json
from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.orders import (
    CancelOrder,
    CreateOrder,
    GetOrderById,
    Lab,
    OrderView,
    ShipOrder,
    created_order_id,
)

router = APIRouter(prefix="/api/v1")


def _accepted(lab: Lab, order_id: UUID, events: Sequence[DomainEvent]) -> CommandAccepted:
    return CommandAccepted(
        order_id=order_id,
        position=write_position(lab, events),
        events=[type(event).__name__ for event in events],
    )


@router.post(
    "/orders",
    status_code=201,
    tags=["orders"],
    summary="Place an order",
    responses=error_responses(
        "insufficient_inventory", "unknown_product", "unknown_customer", "too_large", "not_json"
    ),
    dependencies=[Depends(require_json)],
)
async def create_order(
    body: Annotated[CreateOrderRequest, Body(openapi_examples=CREATE_ORDER_EXAMPLES)],
    request: Request,
    response: Response,
    lab: LabDep,
) -> CommandAccepted:
    """Dispatch `CreateOrder`. The new order's id comes from its `OrderCreated` event
    (the seed answered `events[0].order_id`: its bug 5). `Location` points at the order."""
    command = CreateOrder(
        customer_id=body.customer_id, items=body.items, shipping_address=body.shipping_address
    )
    events = await lab.command_bus.dispatch(command)
    order_id = created_order_id(events)
    response.headers["Location"] = request.app.url_path_for("get_order", order_id=str(order_id))
    return _accepted(lab, order_id, events)


@router.get(
    "/orders/{order_id}",
    tags=["orders"],
    summary="Read an order (read model)",
    description="Answers `GetOrderById` through the query bus." + EVENTUAL_READS,
    responses=error_responses("not_in_read_model", "not_yet_projected"),
)
async def get_order(order_id: UUID, lab: LabDep, min_position: MinPosition = None) -> OrderView:
    require_projected(lab, min_position)
    view = await lab.query_bus.dispatch(GetOrderById(order_id=order_id))
    if view is None:
        raise OrderNotInReadModelError(order_id, lab.projector.position, lab.event_store.head)
    return view


@router.post(
    "/orders/{order_id}/cancel",
    tags=["orders"],
    summary="Cancel an order",
    responses=error_responses("cancel_shipped", "order_not_found", "too_large", "not_json"),
    dependencies=[Depends(require_json)],
)
async def cancel_order(order_id: UUID, body: CancelOrderRequest, lab: LabDep) -> CommandAccepted:
    """Dispatch `CancelOrder`; a shipped or cancelled order cannot be cancelled (400)."""
    events = await lab.command_bus.dispatch(CancelOrder(order_id=order_id, reason=body.reason))
    return _accepted(lab, order_id, events)


@router.post(
    "/orders/{order_id}/ship",
    tags=["orders"],
    summary="Ship an order",
    responses=error_responses("ship_cancelled", "order_not_found"),
)
async def ship_order(order_id: UUID, lab: LabDep) -> CommandAccepted:
    """Dispatch `ShipOrder`; only a pending order can ship (400 otherwise)."""
    events = await lab.command_bus.dispatch(ShipOrder(order_id=order_id))
    return _accepted(lab, order_id, events)
