"""Order queries and their handlers: answers come from DuckDB read models only.

Handlers hold a :class:`~cqrs_lab.read_side.read_db.ReadOnlyConnection` and nothing from the write
side; the query bus refuses a handler that holds the event store or a repository.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cqrs_lab.messaging.messages import Query
from cqrs_lab.orders.values import OrderStatus
from cqrs_lab.read_side.read_db import ReadOnlyConnection
from cqrs_lab.read_side.records import records


class GetOrderById(Query):
    """One order's summary, or None if the read model has no such order (yet)."""

    order_id: UUID


MAX_PAGE = 1_000_000
"""Highest page number: 100 million orders at 100 a page, and an offset SQL can hold."""


class GetOrdersByCustomer(Query):
    """A customer's orders, newest first, optionally one status, a page at a time."""

    customer_id: UUID
    status: OrderStatus | None = None
    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    page_size: int = Field(default=20, ge=1, le=100)


class GetCustomerStats(Query):
    """One customer's totals from ``customer_stats``, or None."""

    customer_id: UUID


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)

    @field_validator("created_at", check_fields=False)
    @classmethod
    def _as_utc(cls, value: datetime) -> datetime:
        # DuckDB stores naive UTC timestamps; give them their zone back.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value


class OrderView(_View):
    """Denormalized read model for orders (a row of ``order_summary``)."""

    id: UUID
    customer_id: UUID
    customer_name: str
    status: OrderStatus
    total_amount: float
    item_count: int
    created_at: datetime
    version: int
    """The order stream's version this row reflects (compare with the event store)."""


class CustomerStatsView(_View):
    """A row of ``customer_stats``."""

    customer_id: UUID
    customer_name: str
    order_count: int
    cancelled_count: int
    total_spent: float


def _fetch(db: ReadOnlyConnection, sql: str, params: list) -> list[dict]:
    return records(db.execute(sql, params))


class GetOrderByIdHandler:
    """Answers :class:`GetOrderById` from ``order_summary``."""

    def __init__(self, read_db: ReadOnlyConnection) -> None:
        self.db = read_db

    async def handle(self, query: GetOrderById) -> OrderView | None:
        rows = _fetch(self.db, "SELECT * FROM order_summary WHERE id = ?", [query.order_id])
        return OrderView(**rows[0]) if rows else None


class GetOrdersByCustomerHandler:
    """Answers :class:`GetOrdersByCustomer` from ``order_summary``, paged in SQL."""

    def __init__(self, read_db: ReadOnlyConnection) -> None:
        self.db = read_db

    async def handle(self, query: GetOrdersByCustomer) -> list[OrderView]:
        rows = _fetch(
            self.db,
            "SELECT * FROM order_summary WHERE customer_id = ? AND (? IS NULL OR status = ?) "
            "ORDER BY created_at DESC, id LIMIT ? OFFSET ?",
            [
                query.customer_id,
                query.status,
                query.status,
                query.page_size,
                (query.page - 1) * query.page_size,
            ],
        )
        return [OrderView(**row) for row in rows]


class GetCustomerStatsHandler:
    """Answers :class:`GetCustomerStats` from ``customer_stats``."""

    def __init__(self, read_db: ReadOnlyConnection) -> None:
        self.db = read_db

    async def handle(self, query: GetCustomerStats) -> CustomerStatsView | None:
        rows = _fetch(
            self.db, "SELECT * FROM customer_stats WHERE customer_id = ?", [query.customer_id]
        )
        return CustomerStatsView(**rows[0]) if rows else None
