"""The projector folds its projections in turn, slice by slice (``fold_in_steps``): the
result must be exactly that of applying every event on its own, one transaction each,
whatever the history, the batch size and the slice size; and when several projections
fail in one batch, the error is the one the first of them raises, naming it, the
position and the event type, with nothing written."""

import random
from uuid import UUID

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cqrs_lab import ProjectionError, Projector, RowProjection, Table
from cqrs_lab.orders import (
    ADA,
    GRACE,
    OrderCancelled,
    OrderCreated,
    OrderItemAdded,
    OrderShipped,
    build_lab,
)
from cqrs_lab.orders.catalogue import DEMO_ADDRESS
from cqrs_lab.orders.customer_stats import CustomerStatsProjection
from cqrs_lab.orders.order_summary import OrderProjection
from cqrs_lab.orders.product_sales import ProductSalesProjection
from cqrs_lab.read_side import projection as projection_module
from cqrs_lab.read_side.projection import Projection
from cqrs_lab.time_and_ids.ids import SeededIds


class ItemsPerProduct(RowProjection):
    """A learner's read model keyed by a string, with a ``key_of`` that is not a field."""

    name = "items_per_product"
    tables = (
        Table(
            "items_per_product", key="product", columns={"product": "VARCHAR", "units": "BIGINT"}
        ),
    )
    handles = (OrderItemAdded,)

    def key_of(self, event):
        return event.product_id.lower()

    def apply(self, row, event):
        row = row or {"product": event.product_id.lower(), "units": 0}
        row["units"] += event.quantity
        return row


def random_history(store, seed: int, orders: int) -> None:
    """Appends ``orders`` orders whose events interleave at random across the log."""
    rng = random.Random(seed)
    ids = SeededIds(seed)
    pending = []
    for _ in range(orders):
        order_id = ids.new_id()
        events = [
            OrderCreated(
                order_id=order_id,
                customer_id=rng.choice([ADA, GRACE]),
                shipping_address=DEMO_ADDRESS,
            )
        ]
        for _ in range(rng.randint(0, 4)):
            events.append(
                OrderItemAdded(
                    order_id=order_id,
                    product_id=rng.choice(["CRUNCHY-ARMCHAIR", "clicky-keyboard", "Lamp"]),
                    quantity=rng.randint(1, 5),
                    unit_price=rng.choice([9.5, 120.0, 0.25]),
                )
            )
        ending = rng.random()
        if ending < 0.3:
            events.append(OrderCancelled(order_id=order_id, reason="changed my mind"))
        elif ending < 0.5:
            events.append(OrderShipped(order_id=order_id))
        pending.append([order_id, events, 0])
    while pending:
        entry = rng.choice(pending)
        order_id, events, done = entry
        take = rng.randint(1, len(events) - done)
        batch = [
            e.model_copy(update={"version": done + n})
            for n, e in enumerate(events[done : done + take], 1)
        ]
        store.append(order_id, batch, expected_version=done)
        entry[2] = done + take
        if entry[2] == len(events):
            pending.remove(entry)


def projections_of(lab):
    return [
        OrderProjection(lab.customers),
        CustomerStatsProjection(lab.customers),
        ItemsPerProduct(),
        ProductSalesProjection(),
    ]


def rows_of(con, projections):
    return {
        table.name: con.execute(f"SELECT * FROM {table.name} ORDER BY ALL").fetchall()
        for projection in projections
        for table in projection.tables
    }


def project(lab, batch_size, one_at_a_time=False):
    con = duckdb.connect()
    projections = projections_of(lab)
    projector = Projector(lab.event_store, con, projections=projections, batch_size=batch_size)
    if one_at_a_time:
        while projector.step():
            pass
    else:
        projector.catch_up()
    return rows_of(con, projections)


@settings(max_examples=10, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    orders=st.integers(1, 25),
    batch_size=st.sampled_from([None, 1, 7, 64]),
    step=st.sampled_from([1, 3, 1024]),
    check_empty_from=st.sampled_from([0, 10**9]),
)
def test_folding_in_steps_gives_the_rows_of_one_event_at_a_time(
    seed, orders, batch_size, step, check_empty_from
):
    lab = build_lab(seed=seed)
    random_history(lab.event_store, seed, orders)
    expected = project(lab, batch_size=1, one_at_a_time=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(projection_module, "FOLD_STEP", step)
        patch.setattr(projection_module, "CHECK_EMPTY_FROM", check_empty_from)
        assert project(lab, batch_size=batch_size) == expected


class FailsAt(RowProjection):
    """Refuses the event at one position (a ValueError, as a broken fold would raise)."""

    tables = ()
    handles = (OrderCreated, OrderItemAdded, OrderCancelled, OrderShipped)

    def __init__(self, name: str, position: int, positions: dict[UUID, int]):
        self.name = name
        self.tables = (Table(name, key="id", columns={"id": "UUID", "n": "INTEGER"}),)
        self.position = position
        self.positions = positions

    def key_of(self, event):
        return event.order_id

    def apply(self, row, event):
        if self.positions[id(event)] == self.position:
            raise ValueError("refused on purpose")
        row = row or {"id": event.order_id, "n": 0}
        row["n"] += 1
        return row


@pytest.mark.parametrize("step", [1, 1024])
def test_when_two_projections_fail_the_first_ones_error_is_raised_and_nothing_is_written(
    step, monkeypatch
):
    monkeypatch.setattr(projection_module, "FOLD_STEP", step)
    lab = build_lab(seed=3)
    random_history(lab.event_store, 3, 30)
    recorded = lab.event_store.read_all()
    positions = {id(r.event): r.position for r in recorded}
    con = duckdb.connect()
    last = lab.event_store.head
    late, early = FailsAt("late", last - 1, positions), FailsAt("early", 5, positions)
    projector = Projector(lab.event_store, con, projections=[OrderProjection(lab.customers)])
    projector.add(late)  # runs before `early`, so its error wins though it comes later
    projector.add(early)
    with pytest.raises(ProjectionError) as raised:
        projector.catch_up()
    error = raised.value
    assert (error.projection, error.position) == ("late", last - 1)
    assert error.event_type == recorded[last - 2].type
    assert isinstance(error.__cause__, ValueError)
    assert projector.checkpoints() == {"order_summary": 0, "late": 0, "early": 0}
    assert con.execute("SELECT count(*) FROM order_summary").fetchone() == (0,)


class CountsOrdersInSql(Projection):
    """A projection with its own SQL that reads another projection's table mid-batch."""

    name = "counted_in_sql"
    tables = (Table("counted", key="k", columns={"k": "INTEGER", "orders": "BIGINT"}),)
    handles = (OrderCreated,)

    def apply_batch(self, con, batch):
        con.execute(
            "INSERT INTO counted SELECT 1, count(*) FROM order_summary "
            "ON CONFLICT DO UPDATE SET orders = excluded.orders"
        )


def test_a_projection_with_its_own_sql_sees_the_tables_of_those_before_it_as_they_left_them():
    lab = build_lab(seed=5)
    random_history(lab.event_store, 5, 25)
    con = duckdb.connect()
    projector = Projector(
        lab.event_store, con, projections=[OrderProjection(lab.customers), CountsOrdersInSql()]
    )
    projector.catch_up()
    assert con.execute("SELECT orders FROM counted").fetchone() == (25,)
