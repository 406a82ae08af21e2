"""Notebook 02's exercises: a given/when/then test, an invariant, a refusing handler, bug 1."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import duckdb

from cqrs_lab import DomainEvent
from cqrs_lab.exercises.checking import NotYet, exercise
from cqrs_lab.exercises.fixtures import (
    ARMCHAIR,
    KEYBOARDS,
    LAMP,
    ORDER_ID,
    cancelled,
    created,
    item_added,
    place,
    shipped,
)
from cqrs_lab.orders import (
    ADA,
    DEMO_ADDRESS,
    DEMO_CUSTOMERS,
    DEMO_STOCK,
    CreateOrder,
    CustomerService,
    InvalidOperationError,
    Order,
    OrderCreated,
    OrderItem,
    OrderItemAdded,
    OrderRejected,
    OrderShipped,
    ShipOrder,
    build_lab,
    created_order_id,
)
from cqrs_lab.orders.comparisons.seed_sample import SeedOrderProjection


class _ShipsAnything(Order):
    """A broken Order for testing a test: it ships even a cancelled order."""

    def ship(self) -> None:
        self._raise_event(OrderShipped(order_id=self.id))


class _RefusesWithoutSaying(Order):
    """A broken Order that refuses to ship a cancelled order, but queues the event anyway."""

    def ship(self) -> None:
        self._raise_event(OrderShipped(order_id=self.id))
        raise InvalidOperationError(f"Cannot ship cancelled order {self.id}")


@exercise(
    "02-scenario",
    "Given/when/then: a cancelled order cannot be shipped",
    hints=(
        "Write the history of a cancelled order with Scenario(aggregate_type).given(...), "
        "then .when(lambda order: order.ship()).then_error(...).",
        "given(OrderCreated(...), OrderItemAdded(...), OrderCancelled(...)), and "
        'then_error(InvalidOperationError, match="cancelled").',
    ),
)
def _scenario(answer: Any) -> None:
    try:
        answer(Order)
    except AssertionError as failed:
        raise NotYet(
            f"your scenario fails against the lab's Order, which is right ({failed})",
            "The given events must be the history of a cancelled order: created, an item, "
            "cancelled; only then is ship() refused.",
            "Pass every event of that history to given(...), in order, with the same order_id.",
        ) from None
    for broken, what in [
        (_ShipsAnything, "ships a cancelled order"),
        (_RefusesWithoutSaying, "refuses but still queues an OrderShipped"),
    ]:
        try:
            answer(broken)
        except AssertionError:
            continue
        raise NotYet(
            f"your scenario also passes for an Order that {what}: it would not catch that bug",
            "A test must fail when the rule is broken: end with then_error(...), which also "
            "checks that no event was left pending.",
            "Use Scenario(aggregate_type) (not Scenario(Order)) and end with "
            'then_error(InvalidOperationError, match="cancelled").',
        )


@exercise(
    "02-limited-order",
    "An invariant: an order holds at most 5 lines",
    hints=(
        "Check the rule first, then let Order.add_item raise the event (super().add_item).",
        "if len(self.items) >= self.MAX_LINES: raise InvalidOperationError(...) naming the "
        "limit; otherwise super().add_item(item).",
    ),
)
def _limited_order(answer: Any) -> None:
    five = [created()] + [item_added(ARMCHAIR, n) for n in range(2, 7)]
    order = answer.create(customer_id=ADA, items=[ARMCHAIR] * 5, shipping_address=DEMO_ADDRESS)
    if len(order.pending_events) != 6:
        raise NotYet(
            "an order of 5 lines did not raise OrderCreated and 5 OrderItemAdded",
            "Five lines are allowed: only the sixth is refused.",
            "Refuse when the order already has MAX_LINES lines (len(self.items) >= 5).",
        )
    full = answer.from_history(ORDER_ID, five)
    try:
        full.add_item(LAMP)
    except InvalidOperationError as refused:
        if "5" not in str(refused):
            raise NotYet(
                f"the refusal does not say what the limit is: {refused}",
                "An error names the rule it enforces, so the user knows what to change.",
                'Say the limit: f"an order holds at most {self.MAX_LINES} lines".',
            ) from None
    else:
        raise NotYet(
            "a 6th line was accepted",
            "The invariant is checked in add_item, before anything happens.",
            "if len(self.items) >= self.MAX_LINES: raise InvalidOperationError(...).",
        )
    if full.has_pending_events or len(full.items) != 5:
        raise NotYet(
            "a refused 6th line still left its OrderItemAdded pending (it would be saved)",
            "An aggregate decides first and raises events after: a refused command changes "
            "nothing.",
            "Move the check above super().add_item(item).",
        )
    try:
        answer.create(customer_id=ADA, items=[LAMP] * 6, shipping_address=DEMO_ADDRESS)
    except InvalidOperationError:
        pass
    else:
        raise NotYet(
            "Order.create accepted 6 lines at once",
            "create() adds its lines through add_item: put the rule there and it holds for both.",
            "Override add_item (not create).",
        )
    gone = answer.from_history(ORDER_ID, [created(), item_added(ARMCHAIR, 2), cancelled(3)])
    try:
        gone.add_item(LAMP)
    except InvalidOperationError:
        return
    raise NotYet(
        "a line was added to a cancelled order",
        "Keep Order's own rules: your add_item adds one, it does not replace them.",
        "End with super().add_item(item), which refuses non-pending orders.",
    )


@exercise(
    "02-capped-handler",
    "A command handler that refuses an order over 500.00 and stores nothing",
    hints=(
        "A handler checks before it saves: compute the command's total from its items and "
        "refuse, or hand over to CreateOrderHandler.handle.",
        "total = sum(i.quantity * i.unit_price for i in command.items); if total > "
        "self.limit: raise InvalidOperationError(...); return await super().handle(command).",
    ),
)
def _capped_handler(answer: Any) -> None:
    lab = build_lab(seed=16, stock={**DEMO_STOCK, "DESK-PLANT": 10})  # 100.00 each
    lab.command_bus.register(CreateOrder, answer(lab.orders, lab.inventory, lab.customers))
    events = lab.dispatch(place(ADA, ARMCHAIR, KEYBOARDS))  # 428.00
    if [type(e) for e in events][:1] != [OrderCreated] or lab.event_store.head != 3:
        raise NotYet(
            "an order of 428.00 (under the cap) was not placed with its 3 events",
            "Orders within the limit go through the usual handler.",
            "return await super().handle(command)",
        )
    exactly = OrderItem(product_id="DESK-PLANT", quantity=5, unit_price=100.0)
    try:
        lab.dispatch(place(ADA, exactly))
    except OrderRejected:
        pass
    head = lab.event_store.head
    if head != 5:
        raise NotYet(
            "an order of exactly 500.00 was refused: the cap is 'at most 500.00'",
            "Only a total above the limit is refused.",
            "Compare with > self.limit, not >=.",
        )
    too_much = place(
        ADA,
        ARMCHAIR,
        KEYBOARDS,
        OrderItem(product_id="MIDNIGHT-LAMP", quantity=3, unit_price=35.25),
    )
    try:
        lab.dispatch(too_much)  # 533.75
    except OrderRejected as refused:
        stored = lab.event_store.head - head
        if stored:
            raise NotYet(
                f"the refused order was stored anyway ({stored} new events in the store)",
                "A handler refuses before it saves: once saved, events are history.",
                "Raise before calling super().handle(command), which saves.",
            ) from None
        if "500" not in str(refused):
            raise NotYet(
                f"the refusal does not name the limit: {refused}",
                "Say which rule refused the order, so the customer knows what to change.",
                'f"order total {total:.2f} is over the limit of {self.limit:.2f}"',
            ) from None
        return
    except Exception as other:
        raise NotYet(
            f"the order over the cap was refused with {type(other).__name__}, not a domain "
            "rejection",
            "The order domain refuses with InvalidOperationError (an OrderRejected), which the "
            "HTTP API turns into a 400 answer.",
            "raise InvalidOperationError(...)",
        ) from None
    raise NotYet(
        "an order of 533.75 was placed, over the 500.00 cap",
        "Add the lines' subtotals and compare with self.limit.",
        "total = sum(i.quantity * i.unit_price for i in command.items)",
    )


@exercise(
    "02-event-order",
    "Fix the seed's bug 1: OrderCreated first, then the items",
    hints=(
        "Projected one event at a time, an item event needs its order's row to exist already.",
        "Build [OrderCreated(version=1), OrderItemAdded(version=2), ...], all with one order_id "
        "and each item's quantity and unit_price.",
    ),
)
def _event_order(answer: Any) -> None:
    items = [ARMCHAIR, KEYBOARDS]
    events: list[DomainEvent] = list(answer(ADA, items, DEMO_ADDRESS))
    kinds = [type(e).__name__ for e in events]
    if sorted(kinds) != ["OrderCreated", "OrderItemAdded", "OrderItemAdded"]:
        raise NotYet(
            f"for 2 lines you raised {kinds}, not one OrderCreated and two OrderItemAdded",
            "One event says the order exists, one event per line says what is in it.",
            "OrderCreated(...) plus one OrderItemAdded(...) per item.",
        )
    con = duckdb.connect()
    projection = SeedOrderProjection(con, CustomerService(DEMO_CUSTOMERS))
    for event in events:
        projection.handle_now(event)
    row = con.execute("SELECT total_amount, item_count FROM seed_order_summary").fetchone()
    if not isinstance(events[0], OrderCreated):
        raise NotYet(
            f"{kinds[0]} came before OrderCreated: projected in that order the item UPDATEs "
            f"found no row, and the order shows total {row[0]:.1f}, {row[1]} items",
            "An order must exist before anything can be added to it, in the stream as in SQL.",
            "Put OrderCreated first in the list, then the items.",
        )
    if len({e.order_id for e in events}) != 1 or [e.version for e in events] != [1, 2, 3]:
        raise NotYet(
            "the events are not one stream: same order_id, versions 1, 2, 3",
            "Every event of an order carries its id and its place in the stream.",
            "Choose one order_id (defaults.new_id() or uuid4()) and number version from 1.",
        )
    if row != (428.0, 2):
        raise NotYet(
            f"projected, the order shows total {row[0]:.2f} and {row[1]} items, want 428.00 and 2",
            "Each OrderItemAdded carries its line's quantity and unit_price (the seed's bug 2).",
            "OrderItemAdded(order_id=..., product_id=item.product_id, quantity=item.quantity, "
            "unit_price=item.unit_price, version=...).",
        )
    if not all(isinstance(e, OrderItemAdded) for e in events[1:]):
        raise NotYet(
            "after OrderCreated come only OrderItemAdded events",
            "One event per line.",
            "[created] + [item events].",
        )


@exercise(
    "02-order-id",
    "Fix the seed's bug 5: the id of the order a command created",
    hints=(
        "Do not trust the position of an event in the list: look for the event that means "
        "'an order was created'.",
        "for event in events: if isinstance(event, OrderCreated): return event.order_id; after "
        'the loop: raise LookupError("no OrderCreated among the events").',
    ),
)
def _order_id(answer: Any) -> None:
    old, new = ORDER_ID, UUID("00000000-0000-4000-8000-0000000000e2")
    placed = [created(new), item_added(ARMCHAIR, 2, new), item_added(LAMP, 3, new)]
    if answer(placed) != new:
        raise NotYet(
            "for a newly placed order your answer is not its id",
            "The OrderCreated event carries the new order's id.",
            "Return event.order_id of the OrderCreated.",
        )
    replaced = [cancelled(3, old), created(new), item_added(ARMCHAIR, 2, new)]
    got = answer(replaced)
    if got != new:
        which = "the old, cancelled order's" if got == old else f"{got}"
        raise NotYet(
            f"when a command cancels an old order and creates a new one, you answered {which} id",
            "events[0] is whatever happened first, not the order that was created.",
            "Look for the OrderCreated among the events, wherever it is.",
        )
    try:
        found = answer([shipped(4, old)])
    except LookupError:
        return
    raise NotYet(
        f"for events with no OrderCreated your answer returned {found!r} instead of raising",
        "No order was created: say so loudly, as created_order_id does.",
        'raise LookupError("no OrderCreated among the events")',
    )


@exercise(
    "02-order-as-of",
    "Rehydrate an order as it was at an earlier version",
    hints=(
        "The state at version n is what the first n events of the stream say.",
        "events = [r.event for r in lab.event_store.read_stream(order_id)]; "
        "return Order.from_history(order_id, events[:version]).",
    ),
)
def _order_as_of(answer: Any) -> None:
    lab = build_lab(seed=21)
    order_id = created_order_id(lab.dispatch(place(ADA, ARMCHAIR, KEYBOARDS)))
    lab.dispatch(ShipOrder(order_id=order_id))  # versions: 1 created, 2-3 items, 4 shipped
    for version, status, total in [
        (1, "pending", 0.0),
        (2, "pending", 249.0),
        (4, "shipped", 428.0),
    ]:
        order = answer(lab, order_id, version)
        seen = (order.version, str(order.status), order.total_amount)
        if seen != (version, status, total):
            raise NotYet(
                f"as of version {version} your order is {seen[1]}, total {seen[2]}, at version "
                f"{seen[0]}; want {status}, {total}, version {version}",
                "Replay only the events up to that version: state is a fold of the history.",
                "Order.from_history(order_id, events[:version])",
            )
    if lab.event_store.head != 4:
        raise NotYet(
            "reading an old version appended events to the store",
            "Rehydrating only reads; it never saves.",
            "Do not call lab.orders.save or dispatch a command.",
        )
