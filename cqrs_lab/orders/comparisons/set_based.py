"""A set-based rebuild: load the events into DuckDB, then let SQL compute each read model.

The projector folds events in Python and writes rows in batches. A rebuild can instead
hand DuckDB the whole history as columns and compute each table with one
``INSERT .. SELECT .. GROUP BY``: the fold becomes an aggregation, which is what a
columnar engine is built for. It bounds what any Python fold can reach, and shows the
price: the SQL must restate the projection's rules (last status wins, a cancelled order
spends nothing), so it is a second implementation to keep equal to the first (the tests
compare them).
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

import duckdb
import numpy as np
import pandas as pd

from cqrs_lab.breaking.faults import tampered_positions
from cqrs_lab.orders.events import OrderCancelled, OrderCreated, OrderItemAdded, OrderShipped
from cqrs_lab.read_side.columns import (
    naive_utc,
    naive_utc_timestamps,
    registered,
    uuid_halves,
    uuid_sql,
)
from cqrs_lab.read_side.projector import Progress, Projector
from cqrs_lab.write_side.event_store import RecordedEvent

#: Event kinds as small ints in the events table.
CREATED, ITEM, CANCELLED, SHIPPED = 0, 1, 2, 3
_KINDS = ((OrderCreated, CREATED), (OrderItemAdded, ITEM), (OrderCancelled, CANCELLED))
_KINDS += ((OrderShipped, SHIPPED),)
_CHUNK = 200_000

_ORDER_SUMMARY = f"""
INSERT INTO order_summary BY NAME
SELECT {uuid_sql("e.hi", "e.lo")} AS id,
       any_value(c.customer_id) AS customer_id,
       any_value(c.name) AS customer_name,
       coalesce(arg_max(CASE e.kind WHEN {CANCELLED} THEN 'cancelled' ELSE 'shipped' END,
                        e.position) FILTER (WHERE e.kind IN ({CANCELLED}, {SHIPPED})),
                'pending') AS status,
       coalesce(sum(e.amount) FILTER (WHERE e.kind = {ITEM}), 0.0) AS total_amount,
       count(*) FILTER (WHERE e.kind = {ITEM}) AS item_count,
       any_value(c.created_at) AS created_at,
       arg_max(e.version, e.position) AS version
FROM _set_events e JOIN _set_created c USING (hi, lo)
GROUP BY e.hi, e.lo
"""

_CUSTOMER_STATS_ORDERS = f"""
INSERT INTO customer_stats_orders BY NAME
SELECT {uuid_sql("e.hi", "e.lo")} AS order_id,
       any_value(c.customer_id) AS customer_id,
       coalesce(sum(e.amount) FILTER (WHERE e.kind = {ITEM}), 0.0) AS amount,
       bool_or(e.kind = {CANCELLED}) AS cancelled
FROM _set_events e JOIN _set_created c USING (hi, lo)
WHERE e.kind IN ({CREATED}, {ITEM}, {CANCELLED})
GROUP BY e.hi, e.lo
"""

_CUSTOMER_STATS = """
INSERT INTO customer_stats BY NAME
SELECT o.customer_id,
       any_value(c.name) AS customer_name,
       count(*) AS order_count,
       count(*) FILTER (WHERE o.cancelled) AS cancelled_count,
       coalesce(sum(o.amount) FILTER (WHERE NOT o.cancelled), 0.0) AS total_spent
FROM customer_stats_orders o JOIN _set_created c USING (order_id)
GROUP BY o.customer_id
"""

# Every order's stream must start with its OrderCreated (the seed's bug 1 breaks this).
_BROKEN_ORDERS = f"""
SELECT {uuid_sql("hi", "lo")} AS id FROM _set_events GROUP BY hi, lo
HAVING count(*) FILTER (WHERE kind = {CREATED}) <> 1
    OR min(position) <> min(position) FILTER (WHERE kind = {CREATED})
LIMIT 3
"""


class SetBasedRebuildError(ValueError):
    """The history cannot be aggregated: some orders lack a leading ``OrderCreated``.

    Attributes:
        order_ids: up to three of the offending orders.
    """

    def __init__(self, order_ids: list[UUID], reason: str | None = None) -> None:
        self.order_ids = order_ids
        shown = ", ".join(str(i) for i in order_ids)
        super().__init__(reason or f"orders without exactly one leading OrderCreated: {shown}")


def event_columns(records: Iterable[RecordedEvent], names_of) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The order events as two frames: every event, and one row per ``OrderCreated``.

    Ids travel as 64-bit halves (see :mod:`cqrs_lab.read_side.columns`). ``names_of(customer_id)``
    gives the customer name copied into the read models.
    """
    kind_of: dict[type, int | None] = {}
    positions, kinds, orders, amounts, versions = [], [], [], [], []
    created_orders, created_customers, created_at = [], [], []
    for recorded in records:
        event = recorded.event
        kind = kind_of.get(type(event), -1)
        if kind == -1:
            kind = kind_of[type(event)] = next(
                (k for base, k in _KINDS if isinstance(event, base)), None
            )
        if kind is None:
            continue
        positions.append(recorded.position)
        kinds.append(kind)
        orders.append(event.order_id)
        versions.append(event.version)
        if kind == ITEM:
            amounts.append(event.quantity * event.unit_price)
            continue
        amounts.append(0.0)
        if kind == CREATED:
            created_orders.append(event.order_id)
            created_customers.append(event.customer_id)
            created_at.append(event.occurred_at)
    hi, lo = uuid_halves(orders) or (np.zeros(0, np.uint64),) * 2
    events = pd.DataFrame(
        {
            "position": np.array(positions, dtype=np.int64),
            "kind": np.array(kinds, dtype=np.int8),
            "hi": hi,
            "lo": lo,
            "amount": np.array(amounts, dtype=np.float64),
            "version": np.array(versions, dtype=np.int64),
        }
    )
    names = {c.int: names_of(c) for c in {c.int: c for c in created_customers}.values()}
    empty = (np.zeros(0, np.uint64),) * 2
    o_hi, o_lo = uuid_halves(created_orders) or empty
    c_hi, c_lo = uuid_halves(created_customers) or empty
    created = pd.DataFrame(
        {
            "hi": o_hi,
            "lo": o_lo,
            "c_hi": c_hi,
            "c_lo": c_lo,
            "name": [names[c.int] for c in created_customers],
            "created_at": naive_utc_timestamps(created_at),
        }
    )
    return events, created


def set_based_rebuild(projector: Projector, names_of, on_progress: Progress | None = None) -> int:
    """Rebuild ``order_summary`` and/or ``customer_stats`` (those the projector runs) with
    one ``INSERT .. SELECT .. GROUP BY`` per table, in one transaction with their
    checkpoints; returns the events read.

    Raises:
        SetBasedRebuildError: if an order's stream does not start with ``OrderCreated``,
            or the history needs per-event care (a fault plan, open dead letters, tampered
            events: use ``projector.rebuild()``); nothing is changed then.
    """
    if projector.faults or projector.dead_letters.open or tampered_positions(projector.event_store):
        raise SetBasedRebuildError(
            [],
            "the set-based rebuild aggregates every event as it is; with a fault plan, open "
            "dead letters or tampered events use projector.rebuild(), which checks each one",
        )
    selected = [
        p
        for name, p in projector.projections.items()
        if name in ("order_summary", "customer_stats")
    ]
    total = projector.event_store.head
    frames = []
    for start in range(0, total, _CHUNK):
        chunk = projector.event_store.read_all(after=start, limit=_CHUNK)
        frames.append(event_columns(chunk, names_of))
        if on_progress:
            on_progress(chunk[-1].position, total)
    frames = frames or [event_columns([], names_of)]
    events = pd.concat([f[0] for f in frames], ignore_index=True)
    created = pd.concat([f[1] for f in frames], ignore_index=True)
    # Temp table and views go with the transaction: a failure rolls the table back, and
    # ``registered`` drops the views without hiding the failure.
    with projector.transaction() as con, registered(con, "_set_events", events):
        _load(con, created)
        broken = con.execute(_BROKEN_ORDERS).fetchall()
        if broken:
            raise SetBasedRebuildError([row[0] for row in broken])
        for projection in selected:
            projection.clear(con)
            if projection.name == "order_summary":
                con.execute(_ORDER_SUMMARY)
            else:
                con.execute(_CUSTOMER_STATS_ORDERS)
                con.execute(_CUSTOMER_STATS)
        con.execute(
            "UPDATE projector_checkpoints SET position = ?, updated_at = ? "
            "WHERE list_contains(?, projection)",
            [total, naive_utc(projector.clock.now()), [p.name for p in selected]],
        )
        con.execute("DROP TABLE _set_created")
    return total


def _load(con: duckdb.DuckDBPyConnection, created: pd.DataFrame) -> None:
    """Materialise the created orders with their ids as UUIDs (temp table ``_set_created``)."""
    with registered(con, "_set_created_frame", created):
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _set_created AS SELECT hi, lo, "
            f"{uuid_sql('hi', 'lo')} AS order_id, {uuid_sql('c_hi', 'c_lo')} AS customer_id, "
            "name, created_at FROM _set_created_frame"
        )
