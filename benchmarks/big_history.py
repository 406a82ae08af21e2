"""The million-event measurements, in a fresh process so peak RSS is the lab's own.

``python -m benchmarks.big_history EVENTS RUNS`` dispatches the workload through the
command bus until the store holds ``EVENTS`` events, catches both read models up, records
peak RSS, then times rebuild and set-based runs and the read models' ``apply`` alone (the
rebuild's floor), and prints one JSON object on stdout (progress goes to stderr).
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time

from benchmarks.history import orders_for
from benchmarks.measure import (
    dispatch_workload,
    median_of,
    rebuild,
    set_based,
    time_folds,
    workload_lab,
)


def progress_line(label: str):
    """A progress callback that redraws one terminal line on stderr."""

    def show(done: int, total: int) -> None:
        end = "\n" if done >= total else ""
        print(f"\r  {label}: {done:>10,} / {total:,} events", end=end, file=sys.stderr)

    return show


def peak_rss_mib() -> float:
    """This process's peak resident set size so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(events: int, runs: int) -> dict:
    start = time.perf_counter()
    lab = workload_lab()
    asyncio.run(dispatch_workload(lab, orders_for(events)))
    history_seconds = time.perf_counter() - start
    lab.projector.catch_up(on_progress=progress_line("catch-up"))
    rss = peak_rss_mib()  # the lab: its events, both read models, its timeline and samples
    rebuilds = median_of(runs, lambda: rebuild(lab, progress_line("rebuild")))
    rows = lab.read_db.execute("SELECT count(*) FROM order_summary").fetchone()[0]
    set_based_runs = median_of(runs, lambda: set_based(lab, progress_line("set-based")))
    apply_alone = median_of(runs, lambda: time_folds(lab))  # the rebuild's floor
    return {
        "events": lab.event_store.head,
        "orders": rows,
        "history_dispatch_seconds": history_seconds,
        "rebuild": rebuilds,
        "peak_rss_mib": rss,
        "peak_rss_mib_after_rebuilds": peak_rss_mib(),
        "set_based": set_based_runs,
        "apply_alone": apply_alone,
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]), int(sys.argv[2]))))
