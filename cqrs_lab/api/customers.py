"""A customer's orders, a page at a time: the seed's ``GetOrdersByCustomer`` over HTTP."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from cqrs_lab.api.consistency import EVENTUAL_READS, require_projected
from cqrs_lab.api.dependencies import LabDep, MinPosition
from cqrs_lab.api.errors import CustomerNotFoundError, error_responses
from cqrs_lab.api.schemas import OrderPage
from cqrs_lab.orders import GetOrdersByCustomer, OrderStatus, UnknownCustomerError
from cqrs_lab.orders.queries import MAX_PAGE

router = APIRouter(prefix="/api/v1", tags=["customers"])


@router.get(
    "/customers/{customer_id}/orders",
    summary="A customer's orders, newest first (read model)",
    description="Answers `GetOrdersByCustomer` through the query bus, a page at a time."
    + EVENTUAL_READS,
    responses=error_responses("customer_not_found", "not_yet_projected"),
)
async def list_customer_orders(
    customer_id: UUID,
    lab: LabDep,
    status: OrderStatus | None = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
    min_position: MinPosition = None,
) -> OrderPage:
    # The customer service knows every customer; the read model only those with orders.
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
