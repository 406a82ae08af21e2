"""``python -m benchmarks.postgres [--quick] [--runs N]``: issue 17's durable-store targets.

Starts a private PostgreSQL server (:class:`PostgresServer`) and measures, in this process:

1. **appends, 4 concurrent writers, gap-free**: :class:`PostgresEventStore` against the
   ``eventsourcing`` library's PostgreSQL recorder (``PostgresApplicationRecorder``, which
   serialises appends with a table lock) on the same workload and server, runs alternating.
   Each writer appends 2 events at a time to streams of its own; an independent follower
   (plain SQL, "position > checkpoint") reads while they write and reports what it skipped.
2. **catch-up from PostgreSQL** into both DuckDB read models (``build_lab(event_store=...)``
   at its defaults, ``lab.catch_up()``) of a store preloaded with workload events, as a lab
   writes them (with schema versions); and, alternating with it, the reading alone
   (``read_all`` in the projector's pages) and its steps apart (fetch, decode, records), so
   the fold's share is the difference. Both also report the CPU PostgreSQL's processes used
   (from ``/proc``, where there is one): the profile line says where each microsecond of
   an event's catch-up went. Then, apart, the catch-up without its reading, on the records
   PostgreSQL returned and on the same history as the in-memory store keeps it.
3. **reopening a kept SQLite lab** (``build_lab(path=...)``) of many events and querying it,
   in a fresh process (timed from ``build_lab``; the whole process is reported too).

Prints the figures and writes them to ``benchmarks/results/postgres-<utc time>.json``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import duckdb
import psycopg

from benchmarks.history import append_workload_history, orders_for
from benchmarks.measure import workload_lab
from cqrs_lab import PostgresEventStore
from cqrs_lab.orders import OrderCancelled, build_lab
from cqrs_lab.orders.customer_stats import CustomerStatsProjection
from cqrs_lab.orders.order_summary import OrderProjection
from cqrs_lab.orders.upcasting import order_upcasters
from cqrs_lab.orders.workloads.workload import workload_customers, workload_stock
from cqrs_lab.read_side.projector import CATCH_UP_BATCH, Projector
from cqrs_lab.write_side.collector import no_gc_pauses
from cqrs_lab.write_side.event_codec import EventCodec, recorded_events
from cqrs_lab.write_side.event_store import RecordedEvent
from cqrs_lab.write_side.postgres_server import PostgresServer

RESULTS = Path(__file__).parent / "results"
FULL = {"appends_per_writer": 500, "catch_up_events": 250_000, "reopen_events": 1_000_000}
QUICK = {"appends_per_writer": 100, "catch_up_events": 20_000, "reopen_events": 20_000}
WRITERS = 4
STREAMS_PER_WRITER = 10
TARGETS = {"append_ratio": 1.5, "catch_up_events_per_s": 250_000, "reopen_seconds": 2.0}


def _events(stream: UUID, first_version: int) -> list[OrderCancelled]:
    return [
        OrderCancelled(order_id=stream, reason=f"r{v}", version=v)
        for v in (first_version, first_version + 1)
    ]


def _follow(dsn: str, table: str, column: str, done: threading.Event, seen: set) -> None:
    """An independent follower: plain SQL, ``column > checkpoint``, pages of 1,000."""
    checkpoint = 0
    with psycopg.connect(dsn, autocommit=True) as connection:
        while True:
            finished = done.is_set()  # asked before reading: one more read follows
            rows = connection.execute(
                f"SELECT {column} FROM {table} WHERE {column} > %s ORDER BY {column} LIMIT 1000",
                (checkpoint,),
            ).fetchall()
            seen.update(p for (p,) in rows)
            if rows:
                checkpoint = rows[-1][0]
            elif finished:
                return


def _writers(append_for_writer, appends: int) -> float:
    """Run ``WRITERS`` threads of ``appends`` appends; returns the wall time."""

    def write(writer: int) -> None:
        append = append_for_writer(writer)
        streams = [uuid4() for _ in range(STREAMS_PER_WRITER)]
        for n in range(appends):
            stream, version = streams[n % STREAMS_PER_WRITER], n // STREAMS_PER_WRITER * 2
            append(stream, version)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def _measured(dsn: str, table: str, column: str, run) -> dict:
    done, seen = threading.Event(), set()
    with psycopg.connect(dsn, autocommit=True) as connection:
        before = {p for (p,) in connection.execute(f"SELECT {column} FROM {table}")}
    follower = threading.Thread(target=_follow, args=(dsn, table, column, done, seen))
    follower.start()
    seconds = run()
    done.set()
    follower.join()
    with psycopg.connect(dsn, autocommit=True) as connection:
        stored = {p for (p,) in connection.execute(f"SELECT {column} FROM {table}")} - before
    return {
        "events": len(stored),
        "seconds": seconds,
        "events_per_s": len(stored) / seconds,
        "skipped": len(stored - seen),
    }


def lab_appends(dsn: str, appends: int) -> dict:
    """:class:`PostgresEventStore`, one store object per writer (as processes would have)."""
    stores = [PostgresEventStore(dsn) for _ in range(WRITERS)]

    def append_for(writer: int):
        store = stores[writer]
        return lambda stream, version: store.append(
            stream, _events(stream, version + 1), expected_version=version
        )

    try:
        return _measured(dsn, "events", "position", lambda: _writers(append_for, appends))
    finally:
        for store in stores:
            store.close()


def peer_appends(server: PostgresServer, dsn: str, appends: int) -> dict:
    """``eventsourcing``'s ``PostgresApplicationRecorder``, a pool of one connection per writer."""
    from eventsourcing.persistence import StoredEvent
    from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

    datastore = PostgresDatastore(
        dbname="postgres", host=str(server.folder), port=server.port or 5432,
        user="postgres", password="", pool_size=WRITERS,
    )  # fmt: skip
    recorder = PostgresApplicationRecorder(datastore, events_table_name="peer_events")
    recorder.create_table()
    codec = EventCodec()

    def append_for(writer: int):
        def append(stream: UUID, version: int) -> None:
            recorder.insert_events(
                [
                    StoredEvent(
                        originator_id=stream,
                        originator_version=event.version,
                        topic=topic,
                        state=data.encode(),
                    )
                    for event in _events(stream, version + 1)
                    for topic, data in [codec.encode(event)]
                ]
            )

        return append

    try:
        return _measured(
            dsn, "peer_events", "notification_id", lambda: _writers(append_for, appends)
        )
    finally:
        datastore.close()


def preload(dsn: str, events: int) -> int:
    """Copy ``events`` (or a few more: whole orders) workload events into the store at ``dsn``."""
    source = workload_lab()
    append_workload_history(source, orders_for(events))
    codec = EventCodec(order_upcasters())  # as a lab writes them: with schema versions
    PostgresEventStore(dsn).close()  # creates the tables
    recorded = source.event_store.read_all()
    with psycopg.connect(dsn) as connection, connection.cursor() as cursor:
        with cursor.copy(
            "COPY events (position, stream_id, version, type, topic, recorded_at, data,"
            " schema_version) FROM STDIN"
        ) as copy:
            for r in recorded:
                name, topic, schema_version, data = codec.encode_row(r.event)
                copy.write_row(
                    (r.position, r.stream_id, r.event.version, name, topic, r.recorded_at, data,
                     schema_version)
                )  # fmt: skip
        cursor.execute(
            "INSERT INTO event_streams SELECT stream_id, max(version), min(position)"
            " FROM events GROUP BY stream_id"
        )
        cursor.execute(
            "INSERT INTO event_schemas SELECT DISTINCT type, schema_version FROM events"
            " ON CONFLICT DO NOTHING"
        )
        cursor.execute("UPDATE event_head SET position = (SELECT max(position) FROM events)")
    return len(recorded)


def server_cpu_seconds(server: PostgresServer) -> float | None:
    """CPU seconds the server's processes (the postmaster and its children: backends,
    writers) have used so far, from ``/proc``; None where that cannot be read."""
    try:
        postmaster = int((server.folder / "data" / "postmaster.pid").read_text().split()[0])
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:  # the process ended meanwhile
                continue
            if int(fields[1]) == postmaster or stat.parent.name == str(postmaster):
                total += int(fields[11]) + int(fields[12])  # utime + stime, in ticks
        return total / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, AttributeError):
        return None


def _per_event_us(seconds: float | None, events: int) -> float | None:
    return None if seconds is None else seconds / events * 1e6


def read_only(dsn: str, server: PostgresServer) -> dict:
    """The catch-up's reading alone: ``read_all`` in the projector's pages, and its three
    steps apart, as the store takes them (this process's CPU per event): fetching the rows
    (binary, as the store fetches them), decoding them (``decode_all``) and building the
    records (``recorded_events``)."""
    store = PostgresEventStore(dsn, upcasters=order_upcasters())
    head, page = store.head, CATCH_UP_BATCH
    server_before = server_cpu_seconds(server)
    started, cpu = time.perf_counter(), time.process_time()
    for after in range(0, head, page):
        store.read_all(after=after, limit=page)
    read_seconds, read_cpu = time.perf_counter() - started, time.process_time() - cpu
    server_after = server_cpu_seconds(server)
    store.close()
    codec = EventCodec(order_upcasters())
    steps = {"fetch": 0.0, "decode": 0.0, "records": 0.0}
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("SET TIME ZONE 'UTC'")
        for after in range(0, head, page):
            with no_gc_pauses():  # as the store's reads run
                cpu = time.process_time()
                rows = (
                    connection.cursor(binary=True)
                    .execute(  # the rows the store's read_all selects
                        "SELECT position, stream_id, recorded_at, topic, schema_version,"
                        " data::text FROM events WHERE position > %s ORDER BY position LIMIT %s",
                        (after, page),
                    )
                    .fetchall()
                )
                fetched = time.process_time()
                events = codec.decode_all(rows)
                decoded = time.process_time()
                recorded_events(rows, events)
                done = time.process_time()
            steps["fetch"] += fetched - cpu
            steps["decode"] += decoded - fetched
            steps["records"] += done - decoded
            del rows, events
    server_seconds = None if server_before is None else server_after - server_before
    return {
        "events": head,
        "read_events_per_s": head / read_seconds,
        "read_cpu_events_per_s": head / read_cpu,
        "read_server_cpu_us": _per_event_us(server_seconds, head),
        **{f"{step}_cpu_us": seconds / head * 1e6 for step, seconds in steps.items()},
    }


class HeldRecords:
    """An event source over records already read: what a fold sees, without the reading."""

    def __init__(self, records: list[RecordedEvent]) -> None:
        self.records = records

    @property
    def head(self) -> int:
        return len(self.records)

    def read_all(self, *, after: int = 0, limit: int | None = None) -> list[RecordedEvent]:
        return self.records[after : None if limit is None else after + limit]


def catch_up_held(records: list[RecordedEvent]) -> dict:
    """A catch-up of ``records`` held in memory into both read models (a projector as a
    lab's, at its defaults): the catch-up without the reading (loading, folding, writing,
    committing). Given the records a PostgreSQL store decoded, and the same history as the
    in-memory store keeps it, it says whether decoded events cost the rest more."""
    lab = build_lab(customers=workload_customers(500), stock=workload_stock(), record_history=False)
    projector = Projector(
        HeldRecords(records),
        duckdb.connect(),
        projections=[OrderProjection(lab.customers), CustomerStatsProjection(lab.customers)],
        clock=lab.clock,
    )
    gc.collect()
    started, cpu = time.perf_counter(), time.process_time()
    applied = projector.catch_up()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    projector.connection.close()
    return {"events": applied, "seconds": seconds, "cpu_us": cpu / applied * 1e6}


def decoded_records(dsn: str) -> list[RecordedEvent]:
    """Every record of the store at ``dsn``, read as a catch-up reads them."""
    with PostgresEventStore(dsn, upcasters=order_upcasters()) as store:
        head = store.head
        return [
            record
            for after in range(0, head, CATCH_UP_BATCH)
            for record in store.read_all(after=after, limit=CATCH_UP_BATCH)
        ]


def catch_up(dsn: str, server: PostgresServer) -> dict:
    """A fresh lab at its defaults on the preloaded store: ``lab.catch_up()`` from zero."""
    lab = build_lab(
        event_store=PostgresEventStore(dsn),
        customers=workload_customers(500),
        stock=workload_stock(),
        record_history=False,
    )
    server_before = server_cpu_seconds(server)
    started, cpu = time.perf_counter(), time.process_time()
    applied = lab.catch_up()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    server_after = server_cpu_seconds(server)
    lab.close()
    server_seconds = None if server_before is None else server_after - server_before
    return {
        "events": applied,
        "seconds": seconds,
        "events_per_s": applied / seconds,
        "cpu_events_per_s": applied / cpu,  # this process only: PostgreSQL's work not counted
        "cpu_us": cpu / applied * 1e6,
        "server_cpu_us": _per_event_us(server_seconds, applied),
    }


def reopen(events: int, runs: int) -> dict:
    """Keep a lab of ``events`` events in a folder, then time reopening it and one query
    in a fresh process (median of ``runs``)."""
    folder = Path(tempfile.mkdtemp(prefix="cqrs_lab_bench_")) / "lab"
    started = time.perf_counter()
    lab = build_lab(
        path=folder, customers=workload_customers(500), stock=workload_stock(), record_history=False
    )
    append_workload_history(lab, orders_for(events))
    lab.catch_up()
    head = lab.event_store.head
    lab.close()
    built = time.perf_counter() - started
    timings = []
    for _ in range(runs):
        process_started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.reopen_lab", str(folder)],
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
        timing = json.loads(done.stdout)
        timing["process_seconds"] = time.perf_counter() - process_started  # with imports
        timings.append(timing)
    return {
        "events": head,
        "build_seconds": built,
        "seconds": statistics.median(t["seconds"] for t in timings),
        "process_seconds": statistics.median(t["process_seconds"] for t in timings),
        "runs": timings,
    }


def run(sizes: dict, runs: int, log=print) -> dict:
    figures: dict = {"sizes": sizes, "runs": runs, "writers": WRITERS}
    with PostgresServer() as server:
        dsn = server.dsn
        log(f"appends: {WRITERS} writers x {sizes['appends_per_writer']} appends of 2 events,")
        log("  alternating PostgresEventStore and eventsourcing's PostgreSQL recorder ...")
        ours, peers = [], []
        for _ in range(runs):
            ours.append(lab_appends(dsn, sizes["appends_per_writer"]))
            peers.append(peer_appends(server, dsn, sizes["appends_per_writer"]))
        figures["appends"] = _median(ours)
        figures["peer_appends"] = _median(peers)
        log(f"catch-up: {sizes['catch_up_events']:,} events from PostgreSQL into DuckDB ...")
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute("CREATE DATABASE catch_up")
        loaded = preload(server.dsn_for("catch_up"), sizes["catch_up_events"])
        catch_ups, reads = [], []
        for _ in range(runs):  # alternating: the fold's share is the difference
            catch_ups.append(catch_up(server.dsn_for("catch_up"), server))
            reads.append(read_only(server.dsn_for("catch_up"), server))
        figures["catch_up"] = _median(catch_ups)
        figures["catch_up"]["loaded"] = loaded
        figures["catch_up_reading"] = _median(reads)
        # Afterwards, so that the records held for it never weigh on the runs above.
        decoded = decoded_records(server.dsn_for("catch_up"))
        history = workload_lab()
        append_workload_history(history, orders_for(len(decoded)))
        in_memory = history.event_store.read_all(limit=len(decoded))
        on_decoded, on_in_memory = [], []
        for _ in range(runs):
            on_decoded.append(catch_up_held(decoded))
            on_in_memory.append(catch_up_held(in_memory))
        figures["held_decoded"] = _median(on_decoded)
        figures["held_in_memory"] = _median(on_in_memory)
    log(f"reopen: a kept SQLite lab of {sizes['reopen_events']:,} events ...")
    figures["reopen"] = reopen(sizes["reopen_events"], runs)
    ratio = figures["appends"]["events_per_s"] / figures["peer_appends"]["events_per_s"]
    figures["targets"] = {
        "append_ratio": ratio,
        "append_ratio_met": ratio >= TARGETS["append_ratio"],
        "skipped": figures["appends"]["skipped_max"] + figures["peer_appends"]["skipped_max"],
        "catch_up_met": figures["catch_up"]["events_per_s"] >= TARGETS["catch_up_events_per_s"],
        "reopen_met": figures["reopen"]["seconds"] < TARGETS["reopen_seconds"],
    }
    return figures


def _median(results: list[dict]) -> dict:
    summary = {
        key: None if None in values else statistics.median(values)
        for key in results[0]
        for values in [[r[key] for r in results]]
    }
    if "skipped" in results[0]:
        summary["skipped_max"] = max(r["skipped"] for r in results)
    return summary


def report(figures: dict) -> str:
    a, p = figures["appends"], figures["peer_appends"]
    c, r, t = figures["catch_up"], figures["reopen"], figures["targets"]
    d = figures["catch_up_reading"]
    return "\n".join(
        [
            f"appends, {WRITERS} writers (median of {figures['runs']}):",
            f"  PostgresEventStore          {a['events_per_s']:>10,.0f} events/s,"
            f" skipped by a follower: {a['skipped_max']:.0f}",
            f"  eventsourcing recorder      {p['events_per_s']:>10,.0f} events/s,"
            f" skipped by a follower: {p['skipped_max']:.0f}",
            f"  ratio {t['append_ratio']:.2f}x (target >= {TARGETS['append_ratio']}x):"
            f" {'met' if t['append_ratio_met'] else 'NOT met'}",
            f"catch-up from PostgreSQL: {c['events_per_s']:,.0f} events/s over"
            f" {c['events']:,.0f} events (target >= 250,000):"
            f" {'met' if t['catch_up_met'] else 'NOT met'}",
            f"  this process's CPU time alone: {c['cpu_events_per_s']:,.0f} events/s",
            f"  reading (fetch + decode, no fold): {d['read_events_per_s']:,.0f} events/s"
            f" (CPU: {d['read_cpu_events_per_s']:,.0f})",
            *_profile(c, d),
            *_held(figures),
            f"reopen a kept SQLite lab of {r['events']:,} events and query it:"
            f" {r['seconds']:.2f} s (target < 2 s): {'met' if t['reopen_met'] else 'NOT met'};"
            f" the whole process, Python's imports included: {r['process_seconds']:.2f} s",
        ]
    )


def _profile(c: dict, d: dict) -> list[str]:
    """Where a catch-up's microseconds per event go: this process's CPU split into the
    reading's steps and the fold (the rest), PostgreSQL's CPU, and the wait for neither."""
    wall, cpu = 1e6 / c["events_per_s"], c["cpu_us"]
    reading = d["fetch_cpu_us"] + d["decode_cpu_us"] + d["records_cpu_us"]
    server = c["server_cpu_us"]
    lines = [
        f"  per event: {wall:.2f} us wall; this process's CPU {cpu:.2f} us = fetch"
        f" {d['fetch_cpu_us']:.2f} + decode {d['decode_cpu_us']:.2f} + records"
        f" {d['records_cpu_us']:.2f} + fold and the rest {cpu - reading:.2f}",
    ]
    if server is not None:
        lines.append(
            f"  PostgreSQL's CPU {server:.2f} us; the rest of the wall time (waiting for a"
            f" core on a shared machine, or for PostgreSQL): {max(wall - cpu - server, 0):.2f} us"
        )
    return lines


def _held(figures: dict) -> list[str]:
    """The catch-up without its reading: on decoded events, and on the same history as
    the in-memory store keeps it."""
    if "held_decoded" not in figures:
        return []
    decoded, in_memory = figures["held_decoded"], figures["held_in_memory"]
    return [
        f"  the catch-up without reading (records held in memory), CPU per event:"
        f" {decoded['cpu_us']:.2f} us on the events PostgreSQL returned,"
        f" {in_memory['cpu_us']:.2f} us on the same history as the in-memory store keeps it"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    figures = run(QUICK if args.quick else FULL, args.runs)
    print(report(figures))
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"postgres-{stamp}.json"
    path.write_text(json.dumps(figures, indent=1, default=str) + "\n", encoding="utf-8")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
