"""``python -m benchmarks.memory [ORDERS]``: where a lab's memory goes, per event and per stage.

Peak RSS of a million-event lab (:mod:`benchmarks.big_history`) is one number; this says
what it is made of. It runs the standard workload through the bus at ``build_lab()``'s
defaults (as :func:`benchmarks.measure.dispatch_workload` does) and reports:

- **RSS by stage**, in bytes per stored event: the lab built, the workload dispatched
  (event stores, stock, timeline, lag readings, the bus's memory of recent commands),
  both read models caught up (DuckDB and the projections);
- **the Python heap by owner** (``tracemalloc``, on a second, smaller run): what the
  objects still alive after dispatching were allocated for, in bytes per order.

Run it in a fresh process: RSS is the process's own.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import tracemalloc

from benchmarks.measure import dispatch_workload, stored_events, workload_lab

#: Owners of heap allocations. The stock's frames are looked for anywhere on the stack
#: (a stock event is built in aggregate.py and recorded in event_store.py, like an
#: order's); every other allocation belongs to the innermost frame of the lab's own code.
STOCK = ("orders/stock.py", "orders/services.py")
OWNERS = {
    "observing/": "timeline and lag readings",
    "benchmarks/measure.py": "commands (the bus remembers the last 10,000)",
    "messaging/": "commands (the bus remembers the last 10,000)",
    "write_side/event_store.py": "order log: records, streams, command index",
    "write_side/aggregate.py": "order events (pydantic models)",
    "orders/order.py": "order events (pydantic models)",
    "time_and_ids/": "order ids",
}


def owner_of(files: list[str]) -> str:
    """Who an allocation with this traceback (innermost frame last) belongs to."""
    if any(part in f for f in files for part in STOCK):
        return "stock: events, records, per-order reservations"
    for f in reversed(files):
        if "/cqrs_lab/" in f or "/benchmarks/" in f:
            for part, name in OWNERS.items():
                if part in f:
                    return name
            return "other lab code: " + f.rsplit("/cqrs_lab/", 1)[-1]
    return "outside the lab"


def rss_bytes() -> int:
    """This process's resident set size now (Linux ``/proc``)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * 4096


def rss_by_stage(orders: int) -> dict:
    """RSS after each stage, and its growth per stored event (order and stock events)."""
    gc.collect()
    start = rss_bytes()
    lab = workload_lab()
    opening = stored_events(lab)  # the warehouse's opening stock
    built = rss_bytes()
    asyncio.run(dispatch_workload(lab, orders))
    gc.collect()
    dispatched = rss_bytes()
    lab.projector.catch_up()
    gc.collect()
    caught_up = rss_bytes()
    events = stored_events(lab) - opening
    return {
        "orders": orders,
        "events": events,
        "order_events": lab.event_store.head,
        "rss_mib": {
            "before": start / 2**20,
            "lab built": built / 2**20,
            "dispatched": dispatched / 2**20,
            "caught up": caught_up / 2**20,
        },
        "bytes_per_event": {
            "dispatched (stores, stock, timeline, lag, bus)": (dispatched - built) / events,
            "caught up (DuckDB read models)": (caught_up - dispatched) / events,
        },
    }


def heap_by_owner(orders: int) -> dict:
    """MiB and bytes per order of the objects still alive after dispatching ``orders``
    orders into a fresh lab, by owner (see :data:`OWNERS`).

    The bus's memory of commands is bounded (10,000): past that many commands its share
    is a fixed cost, not a per-order one; use at least 10,000 orders to see all of it.
    """
    lab = workload_lab()
    gc.collect()
    tracemalloc.start(25)
    asyncio.run(dispatch_workload(lab, orders))
    gc.collect()
    snapshot = tracemalloc.take_snapshot()
    tracemalloc.stop()
    owners: dict[str, int] = {}
    for stat in snapshot.statistics("traceback"):
        owner = owner_of([frame.filename for frame in stat.traceback])
        owners[owner] = owners.get(owner, 0) + stat.size
    return {
        name: {"mib": size / 2**20, "bytes_per_order": size / orders}
        for name, size in sorted(owners.items(), key=lambda kv: -kv[1])
    }


def main(orders: int) -> dict:
    return {"stages": rss_by_stage(orders), "heap": heap_by_owner(max(orders // 5, 10_000))}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000), indent=2))
