"""The order routes: the seed's two (place, read), plus cancel, ship and a customer's orders.

Writes go through ``lab.command_bus``; reads through ``lab.query_bus`` only, so they see
the read model, never the aggregate repository (the seed's FORBIDDEN list).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Query, Request, Response

from cqrs_lab.api.consistency import (
    OrderNotInReadModelError,
    require_projected,
    write_position,
)
from cqrs_lab.api.errors import CustomerNotFoundError, error_responses
from cqrs_lab.api.schemas import (
    CREATE_ORDER_EXAMPLES,
    CancelOrderRequest,
    CommandAccepted,
    CreateOrderRequest,
    OrderPage,
)
from cqrs_lab.messages import DomainEvent
from cqrs_lab.orders import (
    CancelOrder,
    CreateOrder,
    GetOrderById,
    GetOrdersByCustomer,
    Lab,
    OrderStatus,
    OrderView,
    ShipOrder,
    UnknownCustomerError,
    created_order_id,
)

router = APIRouter(prefix="/api/v1")


def get_lab(request: Request) -> Lab:
    """The lab this app serves (a dependency, so tests may override it)."""
    return request.app.state.lab


LabDep = Annotated[Lab, Depends(get_lab)]
MinPosition = Annotated[
    int | None,
    Query(
        ge=0,
        description="Refuse a stale answer: 409 unless the read side has projected this "
        "event store position (the `position` a write returned).",
    ),
]

EVENTUAL = (
    "\n\nReads come from the read model. With the lab in async mode it is *eventually* "
    "consistent: an order placed moments ago may not be projected yet (404 here), and a "
    "cancel or ship may not show yet. Every response carries `X-Projection-Position`, "
    "`X-Event-Store-Head` and `X-Events-Behind`; a write answers with its `position`, and "
    "`?min_position=` turns a stale read into a 409. Inline mode gives read-your-writes."
)


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
    responses=error_responses("insufficient_inventory", "unknown_product", "unknown_customer"),
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
    description="Answers `GetOrderById` through the query bus." + EVENTUAL,
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
    responses=error_responses("cancel_shipped", "order_not_found"),
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


@router.get(
    "/customers/{customer_id}/orders",
    tags=["customers"],
    summary="A customer's orders, newest first (read model)",
    description="Answers `GetOrdersByCustomer` through the query bus, a page at a time." + EVENTUAL,
    responses=error_responses("customer_not_found", "not_yet_projected"),
)
async def list_customer_orders(
    customer_id: UUID,
    lab: LabDep,
    status: OrderStatus | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
    min_position: MinPosition = None,
) -> OrderPage:
    try:
        lab.customers.name_of(customer_id)
    except UnknownCustomerError:
        raise CustomerNotFoundError(customer_id) from None
    require_projected(lab, min_position)
    query = GetOrdersByCustomer(
        customer_id=customer_id, status=status, page=page, page_size=page_size
    )
    views = await lab.query_bus.dispatch(query)
    return OrderPage(items=views, page=page, page_size=page_size, status=status)
