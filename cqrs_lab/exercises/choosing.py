"""Notebook 06's exercises: the guide's two lists as a decision, a change made on the CRUD
side, a question only the event log answers, and CRUD that keeps its own history.

:class:`Feature`, the guide's two lists and :class:`CrudWithHistory` live here because
the exercises need them in both places: the learner's notebook and the hidden tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pandas as pd

from cqrs_lab.exercises.checking import NotYet, exercise
from cqrs_lab.exercises.fixtures import ARMCHAIR, KEYBOARDS, LAMP, place
from cqrs_lab.orders import (
    ADA,
    ALAN,
    DEMO_CUSTOMERS,
    DEMO_STOCK,
    GRACE,
    CancelOrder,
    CrudOrders,
    InvalidOperationError,
    OrderNotFoundError,
    ShipOrder,
    build_lab,
    created_order_id,
)

#: An id no order has.
ORDER_NOWHERE = UUID("00000000-0000-4000-8000-00000000dead")

#: The guide's "When NOT to Use", by the Feature field that says it applies.
WHEN_NOT_TO_USE = {
    "simple_crud": "Simple CRUD applications",
    "strong_consistency_everywhere": "Strong consistency requirements everywhere",
    "small_simple_data": "Small datasets with simple queries",
}
#: The guide's "Overview (when to use)", by the Feature field that says it applies.
WHEN_TO_USE = {
    "read_heavy_complex_queries": "Read-heavy workloads with complex queries",
    "different_scaling": "Different scaling requirements for reads vs writes",
    "event_sourced": "Event sourcing implementations",
    "many_read_models": "Multiple read model representations of same data",
    "complex_domain_simple_reads": "Complex domain models with simple read requirements",
}


@dataclass(frozen=True)
class Feature:
    """A feature to build, described by the guide's reasons for and against CQRS."""

    name: str
    simple_crud: bool = False
    """Create, read, update, delete, with few rules."""
    strong_consistency_everywhere: bool = False
    """Every read must show every write at once, everywhere."""
    small_simple_data: bool = False
    """Little data, queried by id or a simple filter."""
    read_heavy_complex_queries: bool = False
    different_scaling: bool = False
    """Reads and writes grow at different rates (many more readers than writers)."""
    event_sourced: bool = False
    """The history itself is wanted: audit, time travel, rebuilding views."""
    many_read_models: bool = False
    complex_domain_simple_reads: bool = False


class CrudWithHistory(CrudOrders):
    """CRUD orders with an ``order_history`` table beside the rows: the history a CRUD
    application often lacks, kept without CQRS. :meth:`record` writes one row (the order,
    its new status, the time); :meth:`history` reads an order's rows, oldest first."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.db.execute(
            "CREATE TABLE order_history (order_id UUID, status VARCHAR, changed_at TIMESTAMP)"
        )

    def record(self, order_id: UUID, status: str) -> None:
        """Write that ``order_id`` changed to ``status`` now (on this CRUD's clock)."""
        now = self.clock.now().replace(tzinfo=None)
        self.db.execute("INSERT INTO order_history VALUES (?, ?, ?)", [order_id, status, now])

    def history(self, order_id: UUID) -> list[tuple]:
        """``(status, changed_at)`` for each recorded change of the order, oldest first."""
        sql = "SELECT status, changed_at FROM order_history WHERE order_id = ? ORDER BY changed_at"
        return self.db.execute(sql, [order_id]).fetchall()


# (feature, the design wanted, the guide lines its reason may quote: None for any)
_SCENARIOS = [
    (
        Feature("team lunch poll", simple_crud=True, small_simple_data=True),
        "CRUD",
        [WHEN_NOT_TO_USE["simple_crud"], WHEN_NOT_TO_USE["small_simple_data"]],
    ),
    (Feature("user settings page"), "CRUD", None),
    (
        Feature("shop orders", read_heavy_complex_queries=True, many_read_models=True),
        "CQRS",
        [WHEN_TO_USE["read_heavy_complex_queries"], WHEN_TO_USE["many_read_models"]],
    ),
    (
        Feature(
            "bank transfers",
            strong_consistency_everywhere=True,
            read_heavy_complex_queries=True,
            event_sourced=True,
        ),
        "CRUD",
        [WHEN_NOT_TO_USE["strong_consistency_everywhere"]],
    ),
    (Feature("insurance claims audit", event_sourced=True), "CQRS", [WHEN_TO_USE["event_sourced"]]),
    (
        Feature("product catalogue", different_scaling=True, small_simple_data=True),
        "CRUD",
        [WHEN_NOT_TO_USE["small_simple_data"]],
    ),
]


@exercise(
    "06-choose-design",
    "CRUD or CQRS: the guide's two lists as a decision, checked against six features",
    hints=(
        "A reason against CQRS outweighs any reason for it (it costs more code and lag); "
        "with no reason either way, the simpler design wins.",
        "for field, line in WHEN_NOT_TO_USE.items(): if getattr(feature, field): return "
        '("CRUD", line); the same loop over WHEN_TO_USE returns ("CQRS", line); finally '
        'return ("CRUD", "no reason to pay for CQRS").',
    ),
)
def _choose_design(answer: Any) -> None:
    for feature, want, lines in _SCENARIOS:
        got = answer(feature)
        design, reason = got if isinstance(got, tuple) and len(got) == 2 else (got, "")
        if design != want:
            why = [line for field, line in {**WHEN_NOT_TO_USE, **WHEN_TO_USE}.items()
                   if getattr(feature, field)]  # fmt: skip
            raise NotYet(
                f"{feature.name!r} ({'; '.join(why) or 'no reason either way'}) got "
                f"{design!r}, want {want!r}",
                "The guide's 'When NOT to Use' vetoes CQRS even where a reason for it holds; "
                "and CQRS must earn its price: no reason for it, no CQRS.",
                "Check WHEN_NOT_TO_USE first, then WHEN_TO_USE, and default to CRUD.",
            )
        if lines is not None and reason not in lines:
            raise NotYet(
                f"{feature.name!r} got {design!r} for the reason {reason!r}, which is not one "
                f"of the guide's lines that apply ({' / '.join(lines)})",
                "Say which line of the guide decided: a design choice someone can check.",
                "Return (design, line) with the line taken from WHEN_NOT_TO_USE or WHEN_TO_USE.",
            )
        if not reason:
            raise NotYet(
                f"{feature.name!r} got {design!r} with no reason",
                "Every decision says why.",
                'return ("CRUD", "no reason to pay for CQRS")',
            )


@exercise(
    "06-crud-ship",
    "Add 'ship an order' to the CRUD side, with the same rules as the Order aggregate",
    hints=(
        "The CQRS side ships only a pending or confirmed order; a cancelled or shipped one is "
        "refused. CRUD must check the row's status before its UPDATE.",
        "row = self.order(order_id); None -> raise OrderNotFoundError(Order, order_id); if "
        'row["status"] != "pending": raise InvalidOperationError(f"Cannot ship ... order"); '
        "UPDATE orders SET status = 'shipped' WHERE id = ?",
    ),
)
def _crud_ship(answer: Any) -> None:
    crud = answer(DEMO_CUSTOMERS, DEMO_STOCK, seed=62)
    first = crud.place_order(ADA, [ARMCHAIR])
    second = crud.place_order(GRACE, [LAMP])
    crud.ship_order(first)
    statuses = dict(crud.db.execute("SELECT id, status FROM orders").fetchall())
    if statuses[first] != "shipped":
        raise NotYet(
            f"after ship_order the order's row says {statuses[first]!r}, want 'shipped'",
            "CRUD keeps only the latest state: shipping changes the row's status.",
            "UPDATE orders SET status = 'shipped' WHERE id = ?",
        )
    if statuses[second] != "pending":
        raise NotYet(
            "shipping one order shipped every order in the table (Grace's too)",
            "An UPDATE changes every row its WHERE matches.",
            "... WHERE id = ?, [order_id]",
        )
    crud.cancel_order(second, "changed my mind")
    for order_id, story in [(second, "a cancelled order"), (first, "an order already shipped")]:
        try:
            crud.ship_order(order_id)
        except InvalidOperationError as refused:
            status = crud.order(order_id)["status"]
            if status not in str(refused):
                raise NotYet(
                    f"the refusal to ship {story} does not say its status: {refused}",
                    "The CQRS side says 'Cannot ship cancelled order ...': say the same.",
                    'f"Cannot ship {status} order {order_id}"',
                ) from None
            continue
        raise NotYet(
            f"{story} was shipped",
            "Same rules on both sides: only a pending order can be shipped.",
            'Refuse unless the row\'s status is "pending".',
        )
    if dict(crud.db.execute("SELECT id, status FROM orders").fetchall())[second] != "cancelled":
        raise NotYet(
            "a refused shipment changed the cancelled order's row",
            "Check first, then UPDATE.",
            "Raise before the UPDATE.",
        )
    try:
        crud.ship_order(ORDER_NOWHERE)
    except OrderNotFoundError:
        return
    except Exception as other:
        raise NotYet(
            f"shipping an order that does not exist raised {type(other).__name__}: {other}",
            "The CQRS side says OrderNotFoundError: an error that names the order.",
            "if row is None: raise OrderNotFoundError(Order, order_id)",
        ) from None
    raise NotYet(
        "shipping an order that does not exist raised nothing",
        "An UPDATE that matches no row succeeds silently: look the order up first.",
        "if row is None: raise OrderNotFoundError(Order, order_id)",
    )


def _cancel_story():
    """A lab with five orders placed at different times: cancelled after 9 min, 59 min and
    2 h, one never, one shipped after 5 min. Two were cancelled within the hour."""
    lab = build_lab(seed=63)
    plan = [(ADA, 540, CancelOrder), (GRACE, 3540, CancelOrder), (ALAN, 7200, CancelOrder)]
    plan += [(ADA, None, None), (GRACE, 300, ShipOrder)]
    for customer, after, then in plan:
        order_id = created_order_id(lab.dispatch(place(customer, KEYBOARDS)))
        if then is not None:
            lab.clock.advance(after)
            if then is CancelOrder:
                lab.dispatch(CancelOrder(order_id=order_id, reason="changed my mind"))
            else:
                lab.dispatch(ShipOrder(order_id=order_id))
        lab.clock.advance(3 * 3600)
    return lab


@exercise(
    "06-cancelled-within",
    "A question CRUD cannot answer: how many orders were cancelled within an hour?",
    hints=(
        "The event log has each order's OrderCreated and OrderCancelled with the time "
        "each was recorded: subtract, per order (per stream_id).",
        'created = events[events.type == "OrderCreated"].set_index("stream_id").recorded_at; '
        "the same for OrderCancelled; delay = (cancelled - created.reindex(cancelled.index))"
        ".dt.total_seconds(); return int((delay <= seconds).sum()).",
    ),
)
def _cancelled_within(answer: Any) -> None:
    lab = _cancel_story()
    events = lab.events()
    for seconds, want in [(3600, 2), (600, 1), (4 * 3600, 3), (60, 0)]:
        got = answer(events.copy(), seconds)
        if got != want:
            extra = " (every cancelled order)" if got == 3 and want != 3 else ""
            raise NotYet(
                f"within {seconds:,} s you counted {got}{extra}, want {want}: the orders were "
                "cancelled 9 min, 59 min and 2 h after being placed",
                "Measure each order from its own OrderCreated, not from the start of the log, "
                "and count only cancellations.",
                "Match OrderCancelled to OrderCreated by stream_id, subtract recorded_at.",
            )
    empty = answer(pd.DataFrame(events.iloc[:0]), 3600)
    if empty != 0:
        raise NotYet(
            f"an empty event log gave {empty!r}, want 0",
            "No events, no cancellations.",
            "Return the count even when nothing matches: int((delays <= seconds).sum()).",
        )


@exercise(
    "06-audited-crud",
    "CRUD that keeps its history: one history row per change, none for a refused one",
    hints=(
        "Record a change only once it happened: let CrudOrders decide (and refuse) first.",
        'order_id = super().place_order(customer_id, items); self.record(order_id, "pending"); '
        "return order_id; and super().cancel_order(order_id, reason) before self.record("
        'order_id, "cancelled").',
    ),
)
def _audited_crud(answer: Any) -> None:
    crud = answer(DEMO_CUSTOMERS, DEMO_STOCK, seed=64)
    placed_at = crud.clock.now().replace(tzinfo=None)
    order_id = crud.place_order(ADA, [ARMCHAIR])
    if not order_id or crud.order(order_id) is None:
        raise NotYet(
            "place_order did not return the id of a placed order",
            "The CRUD side still places the order as before.",
            "order_id = super().place_order(customer_id, items) ... return order_id",
        )
    crud.clock.advance(3600)
    cancelled_at = crud.clock.now().replace(tzinfo=None)
    crud.cancel_order(order_id, "found it cheaper")
    want = [("pending", placed_at), ("cancelled", cancelled_at)]
    if crud.history(order_id) != want:
        raise NotYet(
            f"the history of an order placed, then cancelled an hour later, is "
            f"{crud.history(order_id)}, want pending then cancelled, an hour apart",
            "One history row per change, when it happened.",
            'self.record(order_id, "pending") in place_order; "cancelled" in cancel_order.',
        )
    for attempt, story in [
        (lambda: crud.cancel_order(order_id, "again"), "a refused cancel (already cancelled)"),
        (lambda: crud.place_order(ORDER_NOWHERE, [ARMCHAIR]), "a refused order (no customer)"),
    ]:
        rows = crud.db.execute("SELECT count(*) FROM order_history").fetchone()[0]
        try:
            attempt()
        except Exception:  # the refusal itself is CrudOrders' and already tested
            pass
        now = crud.db.execute("SELECT count(*) FROM order_history").fetchone()[0]
        if now != rows:
            raise NotYet(
                f"{story} still wrote a history row: the history says something happened "
                "that did not",
                "Decide first, record after: the history is of what happened.",
                "Call super() first; record only if it returned.",
            )
