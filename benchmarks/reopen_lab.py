"""``python -m benchmarks.reopen_lab FOLDER``: reopen a kept lab and query it, timed.

Runs in a fresh process (as a learner restarting a kernel does), imports first, then
times ``build_lab(path=FOLDER)`` plus one order and one customer query; prints JSON.
"""

from __future__ import annotations

import json
import sys
import time

from cqrs_lab.orders import GetCustomerStats, GetOrderById, build_lab
from cqrs_lab.orders.workloads.workload import workload_customers, workload_stock


def main(folder: str) -> None:
    started = time.perf_counter()
    lab = build_lab(
        path=folder, customers=workload_customers(500), stock=workload_stock(), record_history=False
    )
    order_id = lab.event_store.read_all(limit=1)[0].stream_id
    order = lab.query(GetOrderById(order_id=order_id))
    stats = lab.query(GetCustomerStats(customer_id=order.customer_id))
    behind = lab.lag().events_behind
    seconds = time.perf_counter() - started
    lab.close()
    print(json.dumps({"seconds": seconds, "events_behind": behind, "found": stats is not None}))


if __name__ == "__main__":
    main(sys.argv[1])
