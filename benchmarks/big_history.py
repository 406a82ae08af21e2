"""The million-event measurements, in a fresh process so peak RSS is the lab's own.

``python -m benchmarks.big_history EVENTS RUNS`` builds the history, rebuilds both read
models (progress on stderr), records peak RSS, then times rebuild and set-based runs, and
prints one JSON object on stdout.
"""

from __future__ import annotations

import json
import resource
import sys
import time

from benchmarks.measure import history_lab, median_of, rebuild, set_based


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
    lab = history_lab(events)
    history_seconds = time.perf_counter() - start
    rebuilds = median_of(runs, lambda: rebuild(lab, progress_line("rebuild")))
    rss = peak_rss_mib()  # 1M events + both read models (+ the rebuild's working set)
    rows = lab.read_db.execute("SELECT count(*) FROM order_summary").fetchone()[0]
    set_based_runs = median_of(runs, lambda: set_based(lab, progress_line("set-based")))
    return {
        "events": lab.event_store.head,
        "orders": rows,
        "history_build_seconds": history_seconds,
        "rebuild": rebuilds,
        "peak_rss_mib": rss,
        "peak_rss_mib_after_set_based": peak_rss_mib(),
        "set_based": set_based_runs,
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]), int(sys.argv[2]))))
