"""A read model written the plain way (a ``match`` in ``apply``) gets the batched path for
free: one SELECT and one write per kind of change, whatever the batch size, and the same
rows as applying its events one at a time."""

from uuid import UUID

import duckdb
import pytest

from cqrs_lab import ProjectionError, Projector, RowProjection, Table, TablesProjection
from cqrs_lab.orders import (
    ADA,
    GRACE,
    CancelOrder,
    OrderCancelled,
    OrderCreated,
    OrderItemAdded,
    ShipOrder,
    build_lab,
    created_order_id,
)
from tests.builders import PLENTY, armchair_and_keyboards


class OrdersPerCustomer(RowProjection):
    """What a learner writes after reading order_summary.py: no batching, no tuning."""

    name = "orders_per_customer"
    tables = (
        Table(
            "orders_per_customer",
            key="customer_id",
            columns={"customer_id": "UUID", "orders": "INTEGER", "items": "INTEGER"},
        ),
    )
    handles = (OrderCreated, OrderItemAdded)

    def __init__(self):
        self.customer_of: dict[UUID, UUID] = {}

    def key_of(self, event):
        match event:
            case OrderCreated():
                self.customer_of[event.order_id] = event.customer_id
                return event.customer_id
            case _:
                return self.customer_of[event.order_id]

    def apply(self, row, event):
        match event:
            case OrderCreated():
                row = row or {"customer_id": event.customer_id, "orders": 0, "items": 0}
                row["orders"] += 1
            case OrderItemAdded():
                row["items"] += event.quantity
        return row


class CancelledReasons(TablesProjection):
    """A learner's two-table read model: a row per order, and one per cancellation reason."""

    name = "cancelled_reasons"
    tables = (
        Table("reason_orders", key="order_id", columns={"order_id": "UUID", "open": "BOOLEAN"}),
        Table("reasons", key="reason", columns={"reason": "VARCHAR", "orders": "INTEGER"}),
    )
    handles = (OrderCreated, OrderCancelled)

    def apply(self, rows, event):
        orders, reasons = rows["reason_orders"], rows["reasons"]
        match event:
            case OrderCreated():
                orders[event.order_id] = {"order_id": event.order_id, "open": True}
            case OrderCancelled():
                orders[event.order_id]["open"] = False
                if event.reason not in reasons:
                    reasons[event.reason] = {"reason": event.reason, "orders": 0}
                reasons[event.reason]["orders"] += 1


class CountingConnection:
    """A DuckDB connection that counts the SQL statements run through it."""

    def __init__(self, con):
        self.con = con
        self.statements: list[str] = []

    def execute(self, sql, *args):
        kind = sql.split()[0]
        self.statements.append("UPSERT" if "ON CONFLICT" in sql else kind)
        return self.con.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self.con, name)


def busy_lab(orders=120):
    lab = build_lab(seed=11, stock=PLENTY)
    for n in range(orders):
        order_id = created_order_id(lab.dispatch(armchair_and_keyboards([ADA, GRACE][n % 2])))
        if n % 3 == 0:
            lab.dispatch(CancelOrder(order_id=order_id, reason=["too slow", "duplicate"][n % 2]))
        elif n % 3 == 1:
            lab.dispatch(ShipOrder(order_id=order_id))
    return lab


def table_rows(con, projection):
    return {
        table.name: con.execute(f"SELECT * FROM {table.name} ORDER BY ALL").fetchall()
        for table in projection.tables
    }


def wanted(projection, lab):
    return [r for r in lab.event_store.read_all() if isinstance(r.event, projection.handles)]


@pytest.mark.parametrize("projection_type", [OrdersPerCustomer, CancelledReasons])
def test_a_learners_projection_reads_once_and_writes_once_per_kind_of_change(projection_type):
    lab = busy_lab()
    projection = projection_type()
    events = wanted(projection, lab)
    con = CountingConnection(duckdb.connect())
    projection.create_tables(con.con)
    tables = len(projection.tables)

    projection.apply_batch(con, events[: len(events) // 2])  # an empty table: new rows only
    assert con.statements == ["SELECT"] * tables + ["INSERT"] * tables

    con.statements.clear()
    projection.apply_batch(con, events[len(events) // 2 :])  # stored rows change, new ones too
    assert con.statements[:tables] == ["SELECT"] * tables
    writes = con.statements[tables:]
    assert "UPSERT" in writes and set(writes) <= {"UPSERT", "INSERT"}
    assert writes.count("UPSERT") <= tables and writes.count("INSERT") <= tables


@pytest.mark.parametrize("projection_type", [OrdersPerCustomer, CancelledReasons])
@pytest.mark.parametrize("batch_size", [7, 1000])
def test_batched_rows_are_the_rows_of_one_event_at_a_time(projection_type, batch_size):
    lab = busy_lab()
    one_at_a_time, batched = duckdb.connect(), duckdb.connect()
    projector = Projector(lab.event_store, one_at_a_time, projections=[projection_type()])
    while projector.step():
        pass
    projection = projection_type()
    Projector(lab.event_store, batched, projections=[projection], batch_size=batch_size).catch_up()
    assert table_rows(batched, projection) == table_rows(one_at_a_time, projection)
    assert table_rows(batched, projection)[projection.tables[0].name]  # not vacuous


def test_an_event_for_a_row_nobody_created_names_the_missing_row_and_writes_nothing():
    lab = busy_lab(3)
    projection = CancelledReasons()
    con = duckdb.connect()
    projector = Projector(lab.event_store, con, projections=[projection])
    cancelled = next(r for r in lab.event_store.read_all() if isinstance(r.event, OrderCancelled))
    with pytest.raises(ProjectionError, match="reason_orders has no row with order_id") as error:
        projection.apply_batch(con, [cancelled])
    assert error.value.position == cancelled.position
    assert table_rows(con, projection) == {"reason_orders": [], "reasons": []}
    assert projector.catch_up() == lab.event_store.head  # in order, it applies


class LatestReason(TablesProjection):
    """Writes a row without reading it first: the last cancellation reason, overall."""

    name = "latest_reason"
    tables = (Table("latest_reason", key="k", columns={"k": "INTEGER", "reason": "VARCHAR"}),)
    handles = (OrderCancelled,)

    def apply(self, rows, event):
        rows["latest_reason"][1] = {"k": 1, "reason": event.reason}


def test_a_row_set_without_being_read_replaces_the_stored_one():
    lab = busy_lab(12)
    con = duckdb.connect()
    projector = Projector(lab.event_store, con, projections=[LatestReason()], batch_size=3)
    projector.catch_up()
    last = [r.event for r in lab.event_store.read_all() if isinstance(r.event, OrderCancelled)]
    assert con.execute("SELECT * FROM latest_reason").fetchall() == [(1, last[-1].reason)]
