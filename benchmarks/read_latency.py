"""What the read side's guarantees cost a query: ``python -m benchmarks.read_latency``.

``read_db`` runs each statement alone in a DuckDB ``READ ONLY`` transaction and rolls it
back (see ``cqrs_lab.read_side.read_db``). The baseline is what it did before: check the
statement's type, then run it on a plain cursor of the same database. Both run the same
queries on the same 1,000 projected orders, alternating, and the best of several rounds is
reported, in wall and in CPU time (CPU is steadier on a busy machine).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import duckdb

from cqrs_lab.orders import (
    ADA,
    DEMO_ADDRESS,
    CreateOrder,
    GetOrderById,
    OrderItem,
    build_lab,
    created_order_id,
)
from cqrs_lab.orders.queries import GetOrderByIdHandler
from cqrs_lab.read_side.records import records

ORDERS, ROUNDS, CALLS = 1_000, 15, 100


class TypeCheckedCursor:
    """The read side before: refuses non-SELECT statement types, returns the cursor."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self._cursor = connection.cursor()

    def execute(self, sql: str, parameters: object = None) -> duckdb.DuckDBPyConnection:
        for statement in duckdb.extract_statements(sql):
            if statement.type not in (duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN):
                raise PermissionError(statement.type.name)
        return self._cursor.execute(sql, parameters)

    def df(self, sql: str, parameters: object = None):
        return self.execute(sql, parameters).df()


def best_per_call(call: Callable[[int], object]) -> tuple[float, float]:
    """Best wall and CPU microseconds per call over ``ROUNDS`` rounds of ``CALLS`` calls."""
    walls, cpus = [], []
    for _ in range(ROUNDS):
        wall, cpu = time.perf_counter(), time.process_time()
        for i in range(CALLS):
            call(i)
        walls.append((time.perf_counter() - wall) / CALLS * 1e6)
        cpus.append((time.process_time() - cpu) / CALLS * 1e6)
    return min(walls), min(cpus)


def main() -> None:
    lab = build_lab(seed=3, record_history=False, stock={"CRUNCHY-ARMCHAIR": ORDERS})
    item = OrderItem(product_id="CRUNCHY-ARMCHAIR", quantity=1, unit_price=249.0)
    ids = [
        created_order_id(
            lab.dispatch(CreateOrder(customer_id=ADA, items=[item], shipping_address=DEMO_ADDRESS))
        )
        for _ in range(ORDERS)
    ]
    lab.catch_up()
    readers = {"before": TypeCheckedCursor(lab.projector.connection), "after": lab.read_db}
    loop = asyncio.new_event_loop()
    cases = {
        "GetOrderById (handler)": lambda db, i: loop.run_until_complete(
            GetOrderByIdHandler(db).handle(GetOrderById(order_id=ids[i % ORDERS]))
        ),
        "one row by id, as records": lambda db, i: records(
            db.execute("SELECT * FROM order_summary WHERE id = ?", [ids[i % ORDERS]])
        ),
        "count(*)": lambda db, i: db.execute("SELECT count(*) FROM order_summary").fetchone(),
        "20 rows as a DataFrame": lambda db, i: db.df("SELECT * FROM order_summary LIMIT 20"),
    }
    print(
        f"{'per query, best of':28s} {'wall before':>12s} {'after':>8s} {'CPU before':>11s} {'after':>8s}"
    )
    for name, case in cases.items():
        results = {k: [] for k in readers}
        for _ in range(2):  # alternate, so both see the same machine
            for label, reader in readers.items():
                results[label].append(best_per_call(lambda i, r=reader, c=case: c(r, i)))
        bw, aw = (min(wall for wall, _ in results[k]) for k in ("before", "after"))
        bc, ac = (min(cpu for _, cpu in results[k]) for k in ("before", "after"))
        print(f"{name:28s} {bw:9.0f} us {aw:5.0f} us {bc:8.0f} us {ac:5.0f} us")


if __name__ == "__main__":
    main()
