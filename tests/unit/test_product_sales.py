"""product_sales: units and revenue per product, cancellations excluded, from any start."""

from collections import defaultdict

import pytest

from cqrs_lab.orders import (
    ADA,
    DEMO_ADDRESS,
    GRACE,
    CancelOrder,
    CreateOrder,
    GetProductSales,
    GetProductSalesHandler,
    OrderCancelled,
    OrderItem,
    OrderItemAdded,
    ProductSalesProjection,
    ShipOrder,
    build_lab,
    created_order_id,
)
from cqrs_lab.orders.workloads.workload import run_workload, workload_customers, workload_stock
from tests.builders import armchair_and_keyboards


def fold_sales(recorded_events) -> dict:
    """The expected table, by plain Python over the event stream."""
    lines = defaultdict(lambda: defaultdict(lambda: [0, 0.0]))
    cancelled = set()
    for r in recorded_events:
        if isinstance(r.event, OrderItemAdded):
            line = lines[r.event.order_id][r.event.product_id]
            line[0] += r.event.quantity
            line[1] += r.event.quantity * r.event.unit_price
        elif isinstance(r.event, OrderCancelled):
            cancelled.add(r.event.order_id)
    sales = defaultdict(lambda: {"units_sold": 0, "revenue": 0.0, "order_count": 0})
    for order_id, products in lines.items():
        if order_id in cancelled:
            continue
        for product_id, (units, revenue) in products.items():
            sales[product_id]["units_sold"] += units
            sales[product_id]["revenue"] += revenue
            sales[product_id]["order_count"] += 1
    return dict(sales)


def table_of(lab) -> dict:
    frame = lab.read_model("product_sales").set_index("product_id")
    return frame.to_dict("index")


def sales_lab(**kwargs):
    lab = build_lab(seed=7, read_models=["order_summary"], **kwargs)
    lab.add_read_model(ProductSalesProjection())
    lab.query_bus.register(GetProductSales, GetProductSalesHandler(lab.read_db))
    return lab


def keyboards(quantity, customer=GRACE):
    item = OrderItem(product_id="SILENT-KEYBOARD", quantity=quantity, unit_price=89.5)
    return CreateOrder(customer_id=customer, items=[item], shipping_address=DEMO_ADDRESS)


def test_units_and_revenue_add_up_per_product_across_orders():
    lab = sales_lab()
    lab.dispatch(armchair_and_keyboards(ADA))
    lab.dispatch(keyboards(3))
    lab.catch_up()
    view = lab.query(GetProductSales(product_id="SILENT-KEYBOARD"))
    assert (view.units_sold, view.revenue, view.order_count) == (5, 5 * 89.5, 2)
    assert lab.query(GetProductSales(product_id="CRUNCHY-ARMCHAIR")).revenue == 249.0


def test_a_cancelled_order_no_longer_counts_as_sold():
    lab = sales_lab()
    keep = created_order_id(lab.dispatch(keyboards(1)))
    cancel = created_order_id(lab.dispatch(keyboards(4)))
    lab.catch_up()
    assert lab.query(GetProductSales(product_id="SILENT-KEYBOARD")).units_sold == 5
    lab.dispatch(CancelOrder(order_id=cancel, reason="too many"))
    lab.dispatch(ShipOrder(order_id=keep))
    lab.catch_up()
    view = lab.query(GetProductSales(product_id="SILENT-KEYBOARD"))
    assert (view.units_sold, view.revenue, view.order_count) == (1, 89.5, 1)


def test_an_order_placed_and_cancelled_within_one_batch_counts_nothing():
    lab = sales_lab()
    order_id = created_order_id(lab.dispatch(keyboards(2)))
    lab.dispatch(CancelOrder(order_id=order_id, reason="oops"))
    lab.catch_up()
    view = lab.query(GetProductSales(product_id="SILENT-KEYBOARD"))
    assert (view.units_sold, view.revenue, view.order_count) == (0, 0.0, 0)


def test_two_lines_of_one_product_are_one_order_for_that_product():
    lab = sales_lab()
    item = OrderItem(product_id="MIDNIGHT-LAMP", quantity=1, unit_price=35.25)
    lab.dispatch(CreateOrder(customer_id=ADA, items=[item, item], shipping_address=DEMO_ADDRESS))
    lab.catch_up()
    view = lab.query(GetProductSales(product_id="MIDNIGHT-LAMP"))
    assert (view.units_sold, view.revenue, view.order_count) == (2, 70.5, 1)


def test_an_unsold_product_has_no_row():
    lab = sales_lab()
    assert lab.query(GetProductSales(product_id="WOBBLY-TABLE")) is None


@pytest.mark.parametrize("batch_size", [1, 7, 1000])
def test_table_equals_a_plain_fold_of_the_events_whatever_the_batch_size(batch_size):
    lab = sales_lab(customers=workload_customers(10), stock=workload_stock(), batch_size=batch_size)
    run_workload(lab, 45)
    lab.catch_up()
    assert table_of(lab) == fold_sales(lab.event_store.read_all())


def test_added_to_a_running_lab_it_starts_at_zero_and_rebuild_equals_incremental():
    lab = build_lab(seed=7, customers=workload_customers(10), stock=workload_stock())
    run_workload(lab, 30)
    lab.catch_up()
    lab.add_read_model(ProductSalesProjection())
    assert lab.projector.checkpoints()["product_sales"] == 0
    assert lab.lag().events_behind == lab.event_store.head
    run_workload(lab, 10)
    lab.catch_up()
    incremental = table_of(lab)
    assert lab.projector.checkpoints()["product_sales"] == lab.event_store.head
    lab.projector.rebuild(["product_sales"])
    assert table_of(lab) == incremental == fold_sales(lab.event_store.read_all())


def test_units_sold_past_what_an_integer_column_holds_are_counted():
    """2,148 orders of 100 lines of 10,000 units pass 2**31 - 1; rather than place them,
    the row starts just below that limit (written straight into the projector's table)."""
    lab = sales_lab(stock={"PAPER-CLIPS": 10**6})
    clips = OrderItem(product_id="PAPER-CLIPS", quantity=10_000, unit_price=9.5)
    order = CreateOrder(customer_id=ADA, items=[clips], shipping_address=DEMO_ADDRESS)
    lab.dispatch(order)
    lab.catch_up()
    near_the_limit = 2**31 - 1 - 5_000
    lab.projector.connection.execute(
        "UPDATE product_sales SET units_sold = ?, order_count = ? WHERE product_id = 'PAPER-CLIPS'",
        [near_the_limit, 2**31 - 1],
    )
    lab.dispatch(CreateOrder(customer_id=GRACE, items=[clips], shipping_address=DEMO_ADDRESS))
    lab.catch_up()
    sold = lab.query(GetProductSales(product_id="PAPER-CLIPS"))
    assert (sold.units_sold, sold.order_count) == (near_the_limit + 10_000, 2**31)
