"""Queries read DuckDB only, page in SQL, and cannot write through read_db."""

import pytest

from cqrs_lab import ReadOnlyError
from cqrs_lab.orders import (
    ADA,
    GRACE,
    CancelOrder,
    GetCustomerStats,
    GetOrderById,
    GetOrdersByCustomer,
    OrderStatus,
    created_order_id,
)
from tests.builders import armchair_and_keyboards


def test_get_order_by_id_returns_the_projected_view(lab):
    order_id = created_order_id(lab.dispatch(armchair_and_keyboards()))
    assert lab.query(GetOrderById(order_id=order_id)) is None  # async: not projected yet
    lab.catch_up()
    view = lab.query(GetOrderById(order_id=order_id))
    assert (view.customer_name, view.status, view.total_amount, view.item_count) == (
        "Ada Lovelace",
        OrderStatus.PENDING,
        428.0,
        2,
    )
    assert view.created_at == lab.clock.now() and view.created_at.tzinfo is not None


def test_orders_by_customer_filters_by_status_and_pages_newest_first(lab):
    ids = []
    for _ in range(5):
        ids.append(created_order_id(lab.dispatch(armchair_and_keyboards())))
        lab.clock.advance(60)
    lab.dispatch(CancelOrder(order_id=ids[1], reason="x"))
    lab.dispatch(armchair_and_keyboards(customer_id=GRACE))
    lab.catch_up()
    everything = lab.query(GetOrdersByCustomer(customer_id=ADA))
    assert [v.id for v in everything] == ids[::-1]
    pages = [
        lab.query(GetOrdersByCustomer(customer_id=ADA, page=p, page_size=2)) for p in (1, 2, 3, 4)
    ]
    assert [[v.id for v in page] for page in pages] == [ids[4:2:-1], ids[2:0:-1], ids[:1], []]
    cancelled = lab.query(GetOrdersByCustomer(customer_id=ADA, status=OrderStatus.CANCELLED))
    assert [v.id for v in cancelled] == [ids[1]]


def test_customer_stats_count_orders_and_spend_excluding_cancelled(lab):
    keep = created_order_id(lab.dispatch(armchair_and_keyboards()))
    drop = created_order_id(lab.dispatch(armchair_and_keyboards()))
    lab.dispatch(CancelOrder(order_id=drop, reason="x"))
    lab.catch_up()
    stats = lab.query(GetCustomerStats(customer_id=ADA))
    assert (stats.order_count, stats.cancelled_count, stats.total_spent) == (2, 1, 428.0)
    assert keep != drop


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE order_summary SET status = 'shipped'",
        "INSERT INTO order_summary (id) VALUES (uuid())",
        "DELETE FROM order_summary",
        "DROP TABLE order_summary",
        "CREATE TABLE sneaky (a INT)",
        "SELECT 1; UPDATE order_summary SET status = 'x'",
    ],
)
def test_read_db_refuses_every_write(lab, statement):
    lab.dispatch(armchair_and_keyboards())
    lab.catch_up()
    before = lab.read_model("order_summary")
    with pytest.raises(ReadOnlyError, match="read-only"):
        lab.read_db.execute(statement)
    assert lab.read_model("order_summary").equals(before)
    assert lab.read_db.tables() == [
        "customer_stats",
        "customer_stats_orders",
        "order_summary",
        "projector_checkpoints",
    ]


def test_read_db_answers_selects(lab):
    lab.dispatch(armchair_and_keyboards())
    lab.catch_up()
    assert lab.read_db.execute("SELECT count(*) FROM order_summary").fetchone() == (1,)
    with pytest.raises(LookupError, match="no read-model table 'orders'"):
        lab.read_db.table("orders")
