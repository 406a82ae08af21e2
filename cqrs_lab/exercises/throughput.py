"""Notebook 08's exercises: a batched projection, the upsert trap, a batch size, a GROUP BY rebuild.

The checks count the SQL statements an answer sends (a batch that costs one statement per
event is the seed's per-event projection again) and compare every table with the one the
lab's own per-event fold builds from the same events.
"""

from __future__ import annotations

import math
from typing import Any

import duckdb
import pandas as pd

from cqrs_lab import Table
from cqrs_lab.exercises.checking import NotYet, exercise
from cqrs_lab.exercises.fixtures import ORDER_ID
from cqrs_lab.orders import (
    ADA,
    ALAN,
    DEMO_ADDRESS,
    DEMO_PRICES,
    DEMO_STOCK,
    GRACE,
    CancelOrder,
    CreateOrder,
    OrderCancelled,
    OrderCreated,
    OrderItem,
    OrderItemAdded,
    OrderShipped,
    ProductSalesProjection,
    ShipOrder,
    build_lab,
    created_order_id,
)

#: The small read model of the first two exercises: units and revenue per product ordered.
PRODUCT_UNITS = Table(
    "product_units",
    key="product_id",
    columns={"product_id": "VARCHAR", "units": "INTEGER", "revenue": "DOUBLE"},
)

#: Event kinds in the ``events`` table of :func:`order_events_table`.
_KINDS = {OrderCreated: "created", OrderItemAdded: "item", OrderCancelled: "cancelled"}
_KINDS[OrderShipped] = "shipped"


class CountingConnection:
    """A DuckDB connection that counts the statements sent through it.

    ``execute`` and ``sql`` count one statement each; ``executemany`` counts one per row of
    parameters, because DuckDB runs it as that many statements. Everything else
    (``register``, ``fetchall``...) goes to the connection unchanged.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self.statements = 0

    def execute(self, sql: str, parameters: Any = None) -> duckdb.DuckDBPyConnection:
        self.statements += 1
        return self._con.execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any = ()) -> duckdb.DuckDBPyConnection:
        rows = list(parameters)
        self.statements += len(rows)
        return self._con.executemany(sql, rows)

    def sql(self, query: str, **kwargs: Any) -> Any:
        self.statements += 1
        return self._con.sql(query, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def order_events_table(con: Any, records: Any) -> int:
    """Load order events into a table ``events`` (one row per event), for set-based SQL.

    Columns: ``position``, ``kind`` (``created``, ``item``, ``cancelled``, ``shipped``),
    ``order_id``, and for item events ``product_id``, ``quantity`` and ``unit_price``
    (NULL on the others). Returns the number of rows loaded.
    """
    rows = [
        {
            "position": recorded.position,
            "kind": _KINDS[type(recorded.event)],
            "order_id": str(recorded.event.order_id),
            "product_id": getattr(recorded.event, "product_id", None),
            "quantity": getattr(recorded.event, "quantity", None),
            "unit_price": getattr(recorded.event, "unit_price", None),
        }
        for recorded in records
        if type(recorded.event) in _KINDS
    ]
    frame = pd.DataFrame(rows, columns=list(_EVENT_COLUMNS))
    columns = ", ".join(f"{name} {sql_type}" for name, sql_type in _EVENT_COLUMNS.items())
    con.execute(f"CREATE OR REPLACE TABLE events ({columns})")
    con.register("_order_events", frame)
    con.execute("INSERT INTO events SELECT * FROM _order_events")
    con.unregister("_order_events")
    return len(rows)


_EVENT_COLUMNS = {
    "position": "BIGINT",
    "kind": "VARCHAR",
    "order_id": "UUID",
    "product_id": "VARCHAR",
    "quantity": "INTEGER",
    "unit_price": "DOUBLE",
}


def _item(product_id: str, quantity: int, order_id: Any = ORDER_ID) -> OrderItemAdded:
    return OrderItemAdded(
        order_id=order_id,
        product_id=product_id,
        quantity=quantity,
        unit_price=DEMO_PRICES[product_id],
    )


#: Two batches of item events: the second adds to products the first stored, and a new one.
_FIRST = [_item("SILENT-KEYBOARD", 2), _item("CRUNCHY-ARMCHAIR", 1)] * 10 + [
    _item("MIDNIGHT-LAMP", 3),
    _item("SILENT-KEYBOARD", 1),
]
_SECOND = [_item("SILENT-KEYBOARD", 1), _item("WOBBLY-TABLE", 2)] * 15 + [_item("MIDNIGHT-LAMP", 1)]


def _expected(*batches: list[OrderItemAdded]) -> dict[str, tuple[int, float]]:
    totals: dict[str, tuple[int, float]] = {}
    for batch in batches:
        for event in batch:
            units, revenue = totals.get(event.product_id, (0, 0.0))
            totals[event.product_id] = (
                units + event.quantity,
                revenue + event.quantity * event.unit_price,
            )
    return {key: (units, round(revenue, 2)) for key, (units, revenue) in sorted(totals.items())}


def _firsts(batch: list[OrderItemAdded]) -> list[OrderItemAdded]:
    """What one unfolded upsert of ``batch`` applies: the first row of each key."""
    seen: dict[str, OrderItemAdded] = {}
    for event in batch:
        seen.setdefault(event.product_id, event)
    return list(seen.values())


def _stored(con: Any) -> dict[str, tuple[int, float]]:
    rows = con.execute("SELECT product_id, units, revenue FROM product_units ORDER BY 1").fetchall()
    return {key: (units, round(revenue, 2)) for key, units, revenue in rows}


def _first_difference(got: dict, want: dict) -> str:
    for key in sorted(set(got) | set(want)):
        if got.get(key) != want.get(key):
            have = got.get(key, "no row")
            return f"{key} shows {have}, want {want.get(key, 'no row')} (units, revenue)"
    return ""


def _run_batches(answer: Any, call: Any, limit: int, what: str) -> CountingConnection:
    """Feed ``_FIRST`` then ``_SECOND`` to ``call(con, batch)``, counting statements each."""
    con = CountingConnection(duckdb.connect())
    PRODUCT_UNITS.create(con._con)
    for n, batch in enumerate([_FIRST, _SECOND], 1):
        con.statements = 0
        call(con, batch)
        if con.statements > limit:
            raise NotYet(
                f"batch {n} of {len(batch)} events ran {con.statements} SQL statements; {what} "
                f"runs at most {limit}, whatever the batch size",
                "One statement per event is the seed's per-event projection again: each pays "
                "parsing, planning and a commit.",
                "Fold the whole batch in Python first, then write all its rows at once.",
            )
    return con


@exercise(
    "08-batched-projection",
    "A batched projection: one SELECT, a fold in Python, one write",
    hints=(
        "Load the stored rows of every product the batch names, fold the events into them "
        "in a dict, then write the dict's rows with one statement.",
        "rows = table.fetch(con, {e.product_id for e in events}); fold into rows[product_id]; "
        "table.upsert(con, rows.values()).",
    ),
)
def _batched_projection(answer: Any) -> None:
    con = _run_batches(
        answer, lambda con, batch: answer(con, PRODUCT_UNITS, batch), 3, "a batched projection"
    )
    got, want = _stored(con), _expected(_FIRST, _SECOND)
    second_only = _expected(_SECOND)
    if got != want and all(got.get(key) == row for key, row in second_only.items()):
        raise NotYet(
            f"after the second batch {_first_difference(got, want)}: the batch started from "
            "zero instead of the stored row",
            "A batch adds to what earlier batches stored: load those rows before the fold.",
            "rows = table.fetch(con, keys) gives the stored rows by key; start a key that is "
            "not there at 0 units and 0.0 revenue.",
        )
    if got != want:
        raise NotYet(
            f"after two batches {_first_difference(got, want)}",
            "Every event of the batch counts, in order, even several for one product.",
            "Fold into one row per product: units += quantity, revenue += quantity * unit_price.",
        )


@exercise(
    "08-fold-before-upsert",
    "An upsert that adds a whole batch in one statement: fold first",
    hints=(
        "In one INSERT .. ON CONFLICT, DuckDB keeps only the first row of a key that "
        "appears twice: give it one row per product.",
        "Sum units and revenue per product_id in a dict, then pass its keys and sums as the "
        "three lists of ADD_ROWS.",
    ),
)
def _fold_before_upsert(answer: Any) -> None:
    con = _run_batches(answer, answer, 1, "an upsert of the batch")
    got, want = _stored(con), _expected(_FIRST, _SECOND)
    if got != want and got == _expected(_firsts(_FIRST), _firsts(_SECOND)):
        lines = sum(event.product_id == "SILENT-KEYBOARD" for event in _FIRST)
        units = sum(e.quantity for e in _FIRST if e.product_id == "SILENT-KEYBOARD")
        raise NotYet(
            f"a batch with {lines} lines of SILENT-KEYBOARD ({units} units) added "
            f"{_FIRST[0].quantity}: one INSERT .. ON CONFLICT kept only the first row of each "
            "product in the batch",
            "DuckDB does not apply a key twice in one statement: the second row of a key is "
            "dropped, silently. The batch must reach it folded, one row per key.",
            "totals = {}; for each event add quantity and quantity * unit_price to "
            "totals[event.product_id]; then one con.execute(ADD_ROWS, [keys, units, revenues]).",
        )
    if got != want:
        raise NotYet(
            f"after two batches {_first_difference(got, want)}",
            "The upsert adds to the stored row: units = units + excluded.units.",
            "Pass each product once, with the sums of the batch's lines for it.",
        )


@exercise(
    "08-batch-size",
    "Choose a batch size that keeps each projector transaction within a time budget",
    hints=(
        "A batch of n events costs a fixed price per transaction plus a price per event: "
        "fixed_ms + n * per_event_ms must stay within budget_ms.",
        "n = math.floor((budget_ms - fixed_ms) / per_event_ms); raise ValueError naming "
        "budget_ms when n < 1; return int(n).",
    ),
)
def _batch_size(answer: Any) -> None:
    for fixed, per_event, budget in [(20.0, 0.25, 100.0), (2.0, 0.75, 10.0), (5.0, 0.5, 5.5)]:
        size = answer(fixed, per_event, budget)
        want = math.floor((budget - fixed) / per_event)
        if not isinstance(size, int) or isinstance(size, bool):
            raise NotYet(
                f"for fixed_ms={fixed}, per_event_ms={per_event}, budget_ms={budget} you "
                f"returned {size!r}, not a whole number of events",
                "A batch size counts events: the projector takes an int.",
                "Return int(...) of the floored division.",
            )
        cost = fixed + size * per_event
        if cost > budget:
            ignored = size == int(budget / per_event)
            raise NotYet(
                f"with {fixed:g} ms fixed per batch and {per_event:g} ms per event, a batch of "
                f"{size} takes {cost:g} ms, over the {budget:g} ms budget"
                + ("; the fixed cost was left out" if ignored else ""),
                "Every transaction pays the fixed cost once, whatever its size: take it off "
                "the budget first, then see how many events fit in what is left.",
                "Round down, never to the nearest: math.floor((budget_ms - fixed_ms) / "
                "per_event_ms).",
            )
        if size < want:
            raise NotYet(
                f"with {fixed:g} ms fixed and {per_event:g} ms per event a {budget:g} ms budget "
                f"fits {want} events; you chose {size}",
                "Bigger batches are cheaper per event: take the largest that fits.",
                "math.floor((budget_ms - fixed_ms) / per_event_ms)",
            )
    try:
        refused = answer(30.0, 1.0, 25.0)
    except ValueError as error:
        if "budget_ms" not in str(error):
            raise NotYet(
                f"the refusal does not name the field at fault: {error}",
                "An error names what to change.",
                'raise ValueError(f"budget_ms={budget_ms} does not fit one event ...")',
            ) from None
        return
    raise NotYet(
        f"a 25 ms budget with 30 ms fixed per batch got a batch size of {refused!r}; no batch "
        "fits, say so",
        "When not even one event fits the budget, no batch size is right: refuse.",
        "if n < 1: raise ValueError(...) naming budget_ms.",
    )


def _sales_history() -> Any:
    """A small shop's history: a cancelled order, a shipped one, one product whose only
    order was cancelled, and an order with two lines of one product."""
    lab = build_lab(seed=8, stock={**DEMO_STOCK, "WOBBLY-TABLE": 3}, read_models=[])
    lab.add_read_model(ProductSalesProjection())

    def line(product_id: str, quantity: int) -> OrderItem:
        return OrderItem(
            product_id=product_id, quantity=quantity, unit_price=DEMO_PRICES[product_id]
        )

    baskets = [
        (ADA, [line("CRUNCHY-ARMCHAIR", 1), line("MIDNIGHT-LAMP", 2)]),
        (GRACE, [line("SILENT-KEYBOARD", 3)]),
        (ALAN, [line("MIDNIGHT-LAMP", 1), line("SILENT-KEYBOARD", 1)]),
        (ADA, [line("SILENT-KEYBOARD", 1), line("SILENT-KEYBOARD", 2)]),
        (GRACE, [line("WOBBLY-TABLE", 1)]),
    ]
    ids = [
        created_order_id(
            lab.dispatch(CreateOrder(customer_id=c, items=i, shipping_address=DEMO_ADDRESS))
        )
        for c, i in baskets
    ]
    lab.dispatch(ShipOrder(order_id=ids[0]))
    lab.dispatch(CancelOrder(order_id=ids[2], reason="found it cheaper"))
    lab.dispatch(CancelOrder(order_id=ids[4], reason="wobbles"))
    lab.catch_up()
    return lab


@exercise(
    "08-set-based-rebuild",
    "A set-based rebuild: product_sales with one INSERT .. SELECT .. GROUP BY",
    hints=(
        "Group the item events by product, leaving out the lines of orders that have a "
        "'cancelled' event, but keep a row (of zeros) for every product ever ordered.",
        "FROM events i LEFT JOIN (SELECT DISTINCT order_id FROM events WHERE kind = "
        "'cancelled') c ON i.order_id = c.order_id WHERE i.kind = 'item' GROUP BY "
        "i.product_id, with sum(...) FILTER (WHERE c.order_id IS NULL) and "
        "count(DISTINCT i.order_id) FILTER (...).",
    ),
)
def _set_based_rebuild(answer: Any) -> None:
    lab = _sales_history()
    fold = lab.read_db.execute(
        "SELECT product_id, units_sold, round(revenue, 2), order_count FROM product_sales "
        "ORDER BY product_id"
    ).fetchall()
    con = CountingConnection(duckdb.connect())
    loaded = order_events_table(con._con, lab.event_store.read_all())
    next(iter(lab.projector.projections["product_sales"].tables)).create(con._con)
    answer(con)
    if con.statements > 2:
        raise NotYet(
            f"the rebuild of {loaded} events ran {con.statements} SQL statements; a set-based "
            "rebuild is one INSERT .. SELECT .. GROUP BY",
            "Let DuckDB do the fold: one statement computes every product's row.",
            "INSERT INTO product_sales SELECT product_id, ... FROM events ... GROUP BY product_id",
        )
    got = con.execute(
        "SELECT product_id, units_sold, round(revenue, 2), order_count FROM product_sales "
        "ORDER BY product_id"
    ).fetchall()
    want = {row[0]: row[1:] for row in fold}
    have = {row[0]: tuple(row[1:]) for row in got}
    missing = sorted(set(want) - set(have))
    if missing:
        raise NotYet(
            f"{', '.join(missing)} is missing from your table; the per-event fold keeps a row "
            f"of {want[missing[0]][0]} units for a product whose only order was cancelled",
            "The fold starts a product's row at its first line and takes a cancelled order's "
            "lines back out: the row stays, at zero.",
            "Filter the cancelled orders inside the aggregates (sum(...) FILTER (WHERE ...)), "
            "not in the WHERE clause.",
        )
    if set(have) - set(want):
        raise NotYet(
            f"your table has rows for {sorted(set(have) - set(want))}, which no order line names",
            "One row per product that appears in an item event.",
            "WHERE kind = 'item' ... GROUP BY product_id",
        )
    for product, (units, revenue, orders) in want.items():
        got_units, got_revenue, got_orders = have[product]
        if (got_units, got_revenue) != (units, revenue):
            raise NotYet(
                f"{product}: your SQL says {got_units} units and {got_revenue} revenue, the "
                f"per-event fold {units} and {revenue}: the lines of a cancelled order still count",
                "A cancelled order sells nothing: its item events stay in the log, so the SQL "
                "must leave out every line of an order that has a 'cancelled' event.",
                "LEFT JOIN the cancelled order ids and aggregate only the lines that found none.",
            )
        if got_orders != orders:
            raise NotYet(
                f"{product}: your SQL counts {got_orders} orders, the fold {orders}: an order "
                "with two lines of one product counted as two orders",
                "order_count counts orders, not lines.",
                "count(DISTINCT i.order_id) FILTER (WHERE c.order_id IS NULL)",
            )
