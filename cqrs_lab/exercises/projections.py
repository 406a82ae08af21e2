"""Notebook 03's exercises: an idempotent projection (bug 3), a paged query, a read-side handler."""

from __future__ import annotations

from typing import Any

from cqrs_lab import WriteModelAccessError
from cqrs_lab.exercises.checking import NotYet, exercise
from cqrs_lab.exercises.fixtures import ARMCHAIR, KEYBOARDS, LAMP, created, item_added, place
from cqrs_lab.orders import (
    ADA,
    GRACE,
    CancelOrder,
    OrderStatus,
    ShipOrder,
    build_lab,
    created_order_id,
)


def _fold(projection: Any, events: list) -> dict:
    row = None
    for event in events:
        row = projection.apply(row, event)
    return row


@exercise(
    "03-idempotent-totals",
    "Fix the seed's bug 3: a projection that survives a redelivery",
    hints=(
        "The row remembers the version of the last event it applied; an event at or below "
        "that version was applied already.",
        'if row is not None and event.version <= row["version"]: return row, and store '
        '"version": event.version in every row you return.',
    ),
)
def _idempotent_totals(answer: Any) -> None:
    projection = answer()
    e1, e2, e3 = created(), item_added(ARMCHAIR, 2), item_added(KEYBOARDS, 3)
    row = _fold(projection, [e1, e2, e3])
    if (row["total_amount"], row["item_count"], row["version"]) != (428.0, 2, 3):
        raise NotYet(
            f"delivered once, the order shows total {row['total_amount']}, "
            f"{row['item_count']} items, version {row['version']}; want 428.0, 2, 3",
            "OrderCreated starts the row at 0; each OrderItemAdded adds quantity * unit_price "
            "and one line.",
            "Return a new dict with total_amount, item_count and version updated.",
        )
    for deliveries, what in [
        ([e1, e2, e2, e3], "a redelivered OrderItemAdded"),
        ([e1, e2, e3, e2], "an old OrderItemAdded delivered again late"),
        ([e1, e2, e1, e3], "a redelivered OrderCreated"),
    ]:
        row = _fold(projection, deliveries)
        if (row["total_amount"], row["item_count"]) != (428.0, 2):
            raise NotYet(
                f"{what} was applied twice: total {row['total_amount']}, "
                f"{row['item_count']} items; want 428.0 and 2",
                "`total + subtotal` is not idempotent (the seed's bug 3): the row must know "
                "which events it has seen already.",
                'if row is not None and event.version <= row["version"]: return row',
            )
    lab = build_lab(seed=33, read_models=[])
    lab.add_read_model(answer())
    lab.dispatch(place(ADA, ARMCHAIR, KEYBOARDS))
    lab.catch_up()
    stored = lab.read_model(projection.name)
    if stored[["total_amount", "item_count"]].values.tolist() != [[428.0, 2]]:
        raise NotYet(
            "run by the lab's projector, the table does not hold one row of 428.0 and 2 items",
            "The projector calls key_of and apply for you: keep the row's columns as declared "
            "in the Table.",
            "Every row you return has exactly the Table's columns.",
        )


@exercise(
    "03-paged-query",
    "A query with paging: pending orders, newest first, a page at a time",
    hints=(
        "Page 1 starts at the first row; page n skips the n - 1 pages before it.",
        "ORDER BY created_at DESC, id LIMIT ? OFFSET ? with [page_size, (page - 1) * page_size].",
    ),
)
def _paged_query(answer: Any) -> None:
    query_type, handler_type = answer
    lab = build_lab(seed=34)
    lab.query_bus.register(query_type, handler_type(lab.read_db))
    ids = []
    for customer in [ADA, GRACE, ADA, GRACE, ADA, ADA, GRACE]:
        lab.clock.advance(60)
        ids.append(created_order_id(lab.dispatch(place(customer, LAMP))))
    lab.dispatch(CancelOrder(order_id=ids[1], reason="duplicate"))
    lab.dispatch(ShipOrder(order_id=ids[4]))
    lab.catch_up()
    pending = [i for i in reversed(ids) if i not in (ids[1], ids[4])]  # newest first
    pages = [
        [
            getattr(v, "id", v)
            for v in lab.query(query_type(status=OrderStatus.PENDING, page=n, page_size=2))
        ]
        for n in (1, 2, 3, 4)
    ]
    names = {order_id: f"order {n + 1}" for n, order_id in enumerate(ids)}
    first = [names.get(i, str(i)) for i in pages[0]]
    if {i for page in pages for i in page} - set(pending):
        raise NotYet(
            "the pages of pending orders list orders that are not pending",
            "Filter by the query's status in SQL.",
            "WHERE status = ? with query.status as the parameter.",
        )
    if pages[0] != pending[:2]:
        want = [names[i] for i in pending[:2]]
        raise NotYet(
            f"page 1 lists {first}, want the two newest pending orders {want}",
            "Pages count from 1, and 'newest first' is an ORDER BY.",
            "ORDER BY created_at DESC, id ... OFFSET (page - 1) * page_size",
        )
    if pages[1:] != [pending[2:4], pending[4:], []]:
        raise NotYet(
            "pages 2 to 4 do not continue page 1 (want 2, 1, then 0 orders)",
            "Each page skips exactly the pages before it and holds at most page_size orders.",
            "LIMIT page_size OFFSET (page - 1) * page_size",
        )


@exercise(
    "03-read-side-handler",
    "A query handler that answers from the read model, never the write side",
    hints=(
        "A query handler keeps only the read side's connection (lab.read_db) and asks "
        "order_summary.",
        'self.db = lab.read_db; then "SELECT total_amount FROM order_summary WHERE id = ?" and '
        "None when there is no row.",
    ),
)
def _read_side_handler(answer: Any) -> None:
    query_type, handler_type = answer
    lab = build_lab(seed=35)
    try:
        lab.query_bus.register(query_type, handler_type(lab))
    except WriteModelAccessError as refused:
        raise NotYet(
            f"the query bus refused your handler: {refused}",
            "The seed's FORBIDDEN list: never query the write model for reads.",
            "Keep lab.read_db in __init__, nothing else from the lab.",
        ) from None
    order_id = created_order_id(lab.dispatch(place(ADA, ARMCHAIR, KEYBOARDS)))
    lab.catch_up()
    if lab.query(query_type(order_id=order_id)) != 428.0:
        raise NotYet(
            "for a projected order of 428.00 your handler did not answer 428.0",
            "The answer is the order's total_amount in order_summary.",
            "SELECT total_amount FROM order_summary WHERE id = ?",
        )
    newer = created_order_id(lab.dispatch(place(ADA, LAMP)))
    early = lab.query(query_type(order_id=newer))
    if early is not None:
        raise NotYet(
            f"for an order the projector has not seen yet, your handler answered {early}: "
            "it read the write side",
            "A read model lags behind the events; a query answers what the read model holds, "
            "even when that is 'not yet' (None).",
            "Read order_summary through lab.read_db only, never lab.orders or lab.event_store.",
        )
    lab.catch_up()
    if lab.query(query_type(order_id=newer)) != 35.25:
        raise NotYet(
            "after catch_up, your handler still does not see the new order",
            "Ask the read model each time; do not cache answers.",
            "Run the SELECT inside handle.",
        )


@exercise(
    "03-all-pages",
    "Read every page of a paged query",
    hints=(
        "A page shorter than page_size is the last one; an empty page means there is no more.",
        "page = 1; loop: views = lab.query(GetOrdersByCustomer(customer_id=..., page=page, "
        "page_size=...)); collect; stop when len(views) < page_size; page += 1.",
    ),
)
def _all_pages(answer: Any) -> None:
    lab = build_lab(seed=36, stock={"MIDNIGHT-LAMP": 1000})
    ids = []
    for n in range(45):
        lab.clock.advance(60)
        ids.append(created_order_id(lab.dispatch(place(ADA if n % 5 else GRACE, LAMP))))
    lab.catch_up()
    ada = [i for n, i in enumerate(ids) if n % 5][::-1]  # 36 orders, newest first
    got = [getattr(v, "id", v) for v in answer(lab, ADA)]
    if len(got) != len(ada):
        raise NotYet(
            f"Ada has 36 orders; your answer has {len(got)}",
            "One query answers one page (20 orders by default): ask for the next page until "
            "a page comes back short.",
            "Loop over page = 1, 2, ... and stop when a page has fewer than page_size orders.",
        )
    if got != ada:
        raise NotYet(
            "the orders are not Ada's, newest first, each once",
            "Keep the pages in the order they come, and each page's orders in their order.",
            "orders.extend(views) for page 1, 2, 3...",
        )


@exercise(
    "03-read-your-writes",
    "Read your own write: place an order and show it from the read model",
    hints=(
        "The read model is filled by the projector, after the command: a query straight "
        "after dispatch finds nothing yet.",
        "order_id = created_order_id(lab.dispatch(command)); lab.catch_up(); "
        "return lab.query(GetOrderById(order_id=order_id)).",
    ),
)
def _read_your_writes(answer: Any) -> None:
    lab = build_lab(seed=37)
    lab.dispatch(place(GRACE, LAMP))  # someone else's order, created first
    view = answer(lab, place(ADA, ARMCHAIR, KEYBOARDS))
    if view is None:
        raise NotYet(
            "your answer is None: the read model had not seen the new order yet",
            "Queries read the read model, which lags behind the events until the projector runs.",
            "lab.catch_up() between the command and the query.",
        )
    if getattr(view, "customer_id", None) != ADA or getattr(view, "total_amount", None) != 428.0:
        raise NotYet(
            "the view is not the order just placed (Ada's, 428.00)",
            "Ask for the order the command created, by the id in its OrderCreated.",
            "created_order_id(events), then GetOrderById(order_id=...).",
        )
    if lab.event_store.head != 5:
        raise NotYet(
            f"the store holds {lab.event_store.head} events, want 5: the order was placed twice",
            "Dispatch the command once; read as often as you like.",
            "Keep the events lab.dispatch returns.",
        )
