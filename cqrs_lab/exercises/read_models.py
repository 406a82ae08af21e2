"""Notebook 05's exercises: two new read models and a lag alert per read model."""

from __future__ import annotations

from typing import Any

from cqrs_lab.exercises.checking import NotYet, exercise
from cqrs_lab.exercises.fixtures import ARMCHAIR, KEYBOARDS, LAMP, place
from cqrs_lab.orders import (
    ADA,
    ALAN,
    DEMO_ADDRESS,
    DEMO_PRICES,
    DEMO_STOCK,
    GRACE,
    CancelOrder,
    CustomerStatsProjection,
    OrderItem,
    ProductSalesProjection,
    ShipOrder,
    build_lab,
    created_order_id,
)


def _lab_with_projection(projection: Any, seed: int):
    lab = build_lab(seed=seed, read_models=["order_summary"])
    lab.add_read_model(projection)
    return lab


@exercise(
    "05-status-counts",
    "A read model of how many orders are pending, cancelled and shipped",
    hints=(
        "An order leaves 'pending' when it is cancelled or shipped. OrderCancelled does not "
        "say the previous status, but the aggregate only cancels or ships pending orders.",
        "On OrderCancelled: pending - 1 and cancelled + 1; on OrderShipped: pending - 1 and "
        "shipped + 1; on OrderCreated (row None the first time): pending + 1.",
    ),
)
def _status_counts(answer: Any) -> None:
    projection = answer()
    lab = _lab_with_projection(projection, seed=51)
    ids = [
        created_order_id(lab.dispatch(place(c, LAMP))) for c in [ADA, GRACE, ALAN, ADA, ADA, GRACE]
    ]
    lab.dispatch(CancelOrder(order_id=ids[0], reason="duplicate"))
    lab.dispatch(CancelOrder(order_id=ids[3], reason="too slow"))
    lab.dispatch(ShipOrder(order_id=ids[5]))
    lab.catch_up()
    table = lab.read_model(projection.name)
    if len(table) != 1:
        raise NotYet(
            f"the table has {len(table)} rows, want one row for all orders",
            "Every event changes the same row: key_of returns one constant key.",
            'key_of returns "orders" for every event.',
        )
    got = {s: int(table.loc[0, s]) for s in ("pending", "cancelled", "shipped")}
    want = {"pending": 3, "cancelled": 2, "shipped": 1}
    if got != want:
        raise NotYet(
            f"after 6 orders, 2 cancellations and 1 shipment the counts are {got}, want {want}",
            "Count each order once, under its current status: leaving one status means "
            "joining another.",
            'On OrderCancelled return {**row, "pending": row["pending"] - 1, '
            '"cancelled": row["cancelled"] + 1}.',
        )
    lab.projector.rebuild([projection.name])
    if not lab.read_model(projection.name).equals(table):
        raise NotYet(
            "a rebuild from position 0 gives other counts than incremental projection",
            "apply must depend only on the row and the event.",
            "Keep no state on the projection object: everything goes in the row.",
        )


@exercise(
    "05-orders-per-city",
    "A RowProjection for a new read model: orders per shipping city",
    hints=(
        "The row for a city is what the projection knew so far: None for the city's first "
        "order, then the row it returned last time.",
        "key_of: event.shipping_address.city; apply: count = 0 if row is None else "
        'row["order_count"]; return {"city": ..., "order_count": count + 1}.',
    ),
)
def _orders_per_city(answer: Any) -> None:
    projection = answer()
    lab = _lab_with_projection(projection, seed=52)
    paris = DEMO_ADDRESS.model_copy(update={"city": "Paris", "postal_code": "75001"})
    for customer, address in [(ADA, paris), (GRACE, DEMO_ADDRESS), (ALAN, paris), (ADA, paris)]:
        lab.dispatch(place(customer, ARMCHAIR, address=address))
    lab.catch_up()
    table = lab.read_model(projection.name)
    got = dict(zip(table["city"], table["order_count"].astype(int)))
    if set(got) != {"London", "Paris"}:
        raise NotYet(
            f"the table's rows are {sorted(map(str, got))}, want one row per city: London, Paris",
            "key_of says which row an event changes: the city the order ships to.",
            "return event.shipping_address.city",
        )
    if got != {"London": 1, "Paris": 3}:
        raise NotYet(
            f"3 orders to Paris and 1 to London gave {got}",
            "apply receives the row so far (None only for a city's first order) and returns "
            "the row after the event.",
            'count = 0 if row is None else row["order_count"]',
        )


@exercise(
    "05-lagging-read-models",
    "A lag alert per read model: which ones are more than N events behind?",
    hints=(
        "lab.lag() is the slowest read model's lag; each read model has its own checkpoint.",
        "sorted(name for name, position in lab.projector.checkpoints().items() if "
        "lab.event_store.head - position > max_events)",
    ),
)
def _lagging(answer: Any) -> None:
    lab = build_lab(seed=53, read_models=["order_summary"])
    for customer in [ADA, GRACE, ALAN, ADA, GRACE]:
        lab.dispatch(place(customer, ARMCHAIR, LAMP))  # 3 events each
    lab.catch_up()
    lab.add_read_model(CustomerStatsProjection(lab.customers))
    got = list(answer(lab, 10))
    if "order_summary" in got:
        raise NotYet(
            "order_summary has every event, yet your alert names it",
            "The lab's lag is the slowest read model's; an alert per read model looks at "
            "each one's checkpoint.",
            "lab.projector.checkpoints() gives each read model's position; compare with "
            "lab.event_store.head.",
        )
    if got != ["customer_stats"]:
        raise NotYet(
            f"customer_stats is 15 events behind (threshold 10), but your alert says {got}",
            "Behind = the store's head minus the read model's checkpoint.",
            "lab.event_store.head - position > max_events",
        )
    if list(answer(lab, 15)):
        raise NotYet(
            "15 events behind with a threshold of 15 raised an alert; alert only past it",
            "Like the lab's LagMonitor, alert when the lag is more than the threshold.",
            "Use >, not >=.",
        )
    lab.catch_up()
    if list(answer(lab, 0)):
        raise NotYet(
            "after catch_up nothing is behind, but your alert still names a read model",
            "Read the checkpoints and the head each time the function is called.",
            "Do not keep results between calls.",
        )


@exercise(
    "05-top-products",
    "A query on the new read model: the best-selling products by revenue",
    hints=(
        "product_sales keeps a row for every product ever ordered, also when every order of "
        "it was cancelled: such a product sold nothing.",
        "SELECT product_id FROM product_sales WHERE units_sold > 0 ORDER BY revenue DESC, "
        "product_id LIMIT ?",
    ),
)
def _top_products(answer: Any) -> None:
    query_type, handler_type = answer
    lab = build_lab(
        seed=54,
        stock={**DEMO_STOCK, "QUIET-FAN": 10},
        prices={**DEMO_PRICES, "QUIET-FAN": 500.0},  # an unpriced product is refused
    )
    lab.add_read_model(ProductSalesProjection())
    lab.query_bus.register(query_type, handler_type(lab.read_db))
    fan = OrderItem(product_id="QUIET-FAN", quantity=4, unit_price=500.0)
    for customer, item in [(ADA, ARMCHAIR), (GRACE, KEYBOARDS), (ALAN, LAMP), (ALAN, LAMP)]:
        lab.dispatch(place(customer, item))
    fan_order = created_order_id(lab.dispatch(place(GRACE, fan)))
    lab.dispatch(CancelOrder(order_id=fan_order, reason="too loud"))
    lab.catch_up()
    best = ["CRUNCHY-ARMCHAIR", "SILENT-KEYBOARD", "MIDNIGHT-LAMP"]  # 249.00, 179.00, 70.50
    top_two = list(lab.query(query_type(n=2)))
    if top_two != best[:2]:
        raise NotYet(
            f"the top 2 by revenue are {top_two}, want {best[:2]} (249.00 and 179.00)",
            "Rank by revenue, highest first, and keep n rows.",
            "ORDER BY revenue DESC, product_id LIMIT ?",
        )
    everything = list(lab.query(query_type(n=10)))
    if "QUIET-FAN" in everything:
        raise NotYet(
            "a product whose only order was cancelled is listed among the best sellers",
            "product_sales keeps a row for it, with 0 units and 0.0 revenue.",
            "WHERE units_sold > 0",
        )
    if everything != best:
        raise NotYet(
            f"the top 10 are {everything}, want {best}",
            "Every product that sold something, best first.",
            "ORDER BY revenue DESC, product_id",
        )
