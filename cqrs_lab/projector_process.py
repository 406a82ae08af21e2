"""The projector as a process of its own: PostgreSQL in, DuckDB read models out.

    python -m cqrs_lab.projector_process --dsn "host=... dbname=..." --read-models orders.duckdb

Writers (API workers, scripts, notebooks) append to one :class:`~cqrs_lab.PostgresEventStore`;
this process keeps the order read models in a DuckDB file up to date. It is the lab's own
:class:`~cqrs_lab.Projector`, so each batch of events and the checkpoint that records it are
written in one DuckDB transaction: killed at any moment (even ``kill -9``), it restarts from
the last committed checkpoint, and no event is lost or applied twice.

It sleeps on PostgreSQL's ``LISTEN``: every append notifies :data:`NOTIFY_CHANNEL` when it
commits. A notification is a wake-up, never the data: after one (or after ``--poll``
seconds without one) it reads the log from its checkpoint, so notifications that were
missed, merged, or sent while it was down lose nothing.

Only one process may write a DuckDB file, so run one projector per file. After each
catch-up it prints ``position N`` (the checkpoint every read model has reached), which
scripts and tests wait for. SIGTERM or Ctrl-C stops it (a batch in hand is rolled back and redone next time).
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable

from cqrs_lab.orders.lab import build_lab
from cqrs_lab.write_side.postgres_event_store import NOTIFY_CHANNEL, PostgresEventStore

#: Seconds to sleep without a notification before reading the log anyway (a safety net).
DEFAULT_POLL_S = 5.0


def run(
    dsn: str,
    read_models: str,
    *,
    poll: float = DEFAULT_POLL_S,
    report: Callable[[int], None] = lambda position: print(f"position {position}", flush=True),
    should_stop: Callable[[], bool] = lambda: False,
) -> None:
    """Follow the store at ``dsn`` into the DuckDB file ``read_models`` until ``should_stop()``.

    ``report(position)`` is called after every catch-up that moved the checkpoint (and once
    at the start, with where it resumed).
    """
    import psycopg

    store = PostgresEventStore(dsn)
    lab = build_lab(event_store=store, database=read_models, record_history=False)
    try:
        with psycopg.connect(dsn, autocommit=True) as listener:
            # LISTEN before the first read: an append committed after that read wakes us.
            listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
            report(lab.projector.position)
            while not should_stop():
                if lab.catch_up():
                    report(lab.projector.position)
                # Wait for one notification (or the poll timeout); any more that queued up
                # meanwhile are drained by the next wait, each worth one more read at most.
                for _ in listener.notifies(timeout=poll, stop_after=1):
                    pass
    finally:
        lab.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m cqrs_lab.projector_process",
        description="Project a PostgreSQL event store into DuckDB read models.",
    )
    parser.add_argument("--dsn", required=True, help="the PostgreSQL event store's DSN")
    parser.add_argument("--read-models", required=True, help="the DuckDB file to write")
    parser.add_argument(
        "--poll",
        type=float,
        default=DEFAULT_POLL_S,
        help="seconds to wait for a notification before reading anyway",
    )
    args = parser.parse_args(argv)
    # SIGTERM stops it as Ctrl-C does, even mid-batch: the batch's DuckDB transaction then
    # never commits, exactly as after kill -9, and the next start redoes it.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        run(args.dsn, args.read_models, poll=args.poll)
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
