"""Properties of stock the server owns and of the fulfilment saga, over random histories.

- Orders racing in random interleavings (asyncio tasks that yield a random number of times
  inside the handler): stock is never negative, never oversold, and every reservation is
  held by a live order or was released.
- The saga under random redelivery and crashes: the same final state as a fault-free run.
- A stock loaded through kept copies and snapshots, whatever was dropped on the way: the
  same state as its stream replayed, having replayed fewer events than the interval.
"""

import asyncio
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cqrs_lab import FaultPlan, InjectedCrash
from cqrs_lab.orders import (
    ADA,
    DEMO_ADDRESS,
    CancelOrder,
    CreateOrder,
    CreateOrderHandler,
    CustomerService,
    GetOrderById,
    InsufficientInventoryError,
    PriceList,
    build_lab,
    created_order_id,
)

PRODUCTS = ["CRUNCHY-ARMCHAIR", "MIDNIGHT-LAMP"]
STOCK = {"CRUNCHY-ARMCHAIR": 5, "MIDNIGHT-LAMP": 4}
lines = st.lists(st.tuples(st.sampled_from(PRODUCTS), st.integers(1, 4)), min_size=1, max_size=2)
orders = st.lists(st.tuples(lines, st.integers(0, 3), st.booleans()), min_size=1, max_size=8)
"""Each order: its lines, how often its handler yields, whether it is cancelled afterwards."""


def create(order_lines):
    return CreateOrder(
        customer_id=ADA,
        items=[{"product_id": p, "quantity": q} for p, q in order_lines],
        shipping_address=DEMO_ADDRESS,
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(orders)
def test_racing_orders_never_oversell_and_every_reservation_is_held_or_released(plan):
    lab = build_lab(seed=1, stock=STOCK)
    yields = iter([n for _, n, _ in plan])

    class Yielding(CustomerService):
        async def get(self, customer_id):
            for _ in range(next(yields)):  # this order's handler pauses here, others run
                await asyncio.sleep(0)
            return await super().get(customer_id)

    handler = CreateOrderHandler(
        lab.orders, lab.inventory, Yielding(lab.customers.all()), PriceList(lab.catalogue.prices)
    )
    lab.command_bus.register(CreateOrder, handler)

    async def race():
        sends = [lab.command_bus.dispatch(create(order_lines)) for order_lines, _, _ in plan]
        return await asyncio.gather(*sends, return_exceptions=True)

    results = asyncio.run(race())
    live: Counter = Counter()
    for (order_lines, _, cancel), result in zip(plan, results, strict=True):
        if isinstance(result, InsufficientInventoryError):
            continue
        assert isinstance(result, list), result
        if cancel:
            lab.dispatch(CancelOrder(order_id=created_order_id(result), reason="property"))
        else:
            for product, quantity in order_lines:
                live[product] += quantity
    for product in PRODUCTS:
        stock = lab.inventory.load(product)
        assert 0 <= stock.available and stock.reserved <= stock.on_hand == STOCK[product]
        assert stock.reserved == live[product]  # held by live orders, the rest released


saga_orders = st.lists(st.tuples(lines, st.booleans()), min_size=1, max_size=5)


def saga_run(plan, *, batch_size=None, faults=None):
    """Place the orders (cancelling some at once), then let the saga finish them."""
    lab = build_lab(seed=2, stock=STOCK, saga=True, batch_size=batch_size, faults=faults)
    order_ids = []
    for order_lines, cancel in plan:
        order_ids.append(created_order_id(lab.dispatch(create(order_lines))))
        if cancel:
            lab.dispatch(CancelOrder(order_id=order_ids[-1], reason="property"))
    for _ in range(100):  # a supervisor restarting the crashed projector
        try:
            lab.catch_up()
            break
        except InjectedCrash:
            continue
    return lab, order_ids


def final_state(lab, order_ids):
    events = [(r.stream_id, r.version, r.type) for r in lab.event_store.read_all()]
    statuses = [lab.query(GetOrderById(order_id=o)).status for o in order_ids]
    return events, lab.inventory.all(), statuses


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    saga_orders,
    st.integers(1, 5),
    st.sets(st.integers(1, 40), max_size=6),
    st.integers(0, 4),
    st.integers(0, 2),
)
def test_the_saga_under_redelivery_and_crashes_ends_as_a_fault_free_run(
    plan, batch_size, duplicate, crashes, crashes_between
):
    clean = final_state(*saga_run(plan))
    faults = FaultPlan(
        duplicate=duplicate,
        crash_before_commit=crashes,
        crash_between_batches=crashes_between,
    )
    lab, order_ids = saga_run(plan, batch_size=batch_size, faults=faults)
    assert final_state(lab, order_ids) == clean
    # Every order ends decided, and its stock matches the decision.
    events, stock, statuses = clean
    assert set(statuses) <= {"confirmed", "declined", "cancelled"}
    for product in PRODUCTS:
        held = lab.inventory.load(product)
        assert 0 <= held.available and held.reserved <= held.on_hand


steps = st.lists(
    st.tuples(st.sampled_from(["reserve", "release", "drop"]), st.integers(1, 6)),
    min_size=1,
    max_size=60,
)
"""Each step: reserve units for order n, release order n, or drop the kept copy (a lost race
or a restart: the next load restores from a snapshot)."""


@settings(max_examples=40, deadline=None)
@given(steps, st.integers(1, 7))
def test_a_stock_loaded_from_snapshots_equals_its_stream_replayed(history, every):
    from uuid import UUID

    from cqrs_lab.orders.services import InventoryService
    from cqrs_lab.orders.stock import Stock, stock_id_of
    from cqrs_lab.write_side.kept_aggregates import KeptAggregates

    inventory = InventoryService({"MIDNIGHT-LAMP": 20})
    inventory.stocks = KeptAggregates(inventory.store, Stock, every=every)
    stream = stock_id_of("MIDNIGHT-LAMP")

    async def run():
        for step, n in history:
            if step == "reserve":
                try:
                    await inventory.reserve(UUID(int=n), "MIDNIGHT-LAMP", n)
                except InsufficientInventoryError:
                    pass
            elif step == "release":
                await inventory.release(UUID(int=n), "MIDNIGHT-LAMP")
            else:
                inventory.stocks.get(stream)  # taken, never given back

    asyncio.run(run())
    loaded = inventory.load("MIDNIGHT-LAMP")
    replayed = Stock.from_history(stream, [r.event for r in inventory.store.read_stream(stream)])
    state = {k: v for k, v in vars(loaded).items() if k != "_pending_events"}
    assert state == {k: v for k, v in vars(replayed).items() if k != "_pending_events"}
    # Never more than the events since a snapshot: snapshots are `every` events apart, or a
    # quarter of the version once that is more (a busy stock's copies stay proportional).
    assert inventory.stocks.replayed < max(every, loaded.version // 4)
