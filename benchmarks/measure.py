"""One function per figure the benchmark reports; each returns plain numbers.

Every measurement runs what a user runs: a lab from ``build_lab()`` with its defaults and
only the catalogue replaced (the standard workload's 500 customers and stock, see
``cqrs_lab.orders.workloads.workload``: 3 items per order, 5% cancelled, 10% shipped;
each order reserves its lines' stock and a cancellation releases it),
commands built per call from plain values and sent through the public async API
(``await lab.command_bus.dispatch(...)``), and ``lab.projector.catch_up()`` at its
defaults. Each function times only the step it is named after.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable, Iterable
from uuid import UUID

import duckdb

from benchmarks import peer
from benchmarks.history import append_workload_history, orders_for
from cqrs_lab.orders import CancelOrder, CreateOrder, OrderItem, ShipOrder, build_lab
from cqrs_lab.orders.catalogue import DEMO_ADDRESS
from cqrs_lab.orders.comparisons.seed_sample import SeedOrderProjection
from cqrs_lab.orders.comparisons.set_based import set_based_rebuild
from cqrs_lab.orders.events import created_order_id
from cqrs_lab.orders.workloads.workload import (
    WORKLOAD_ITEMS,
    is_cancelled,
    is_shipped,
    workload_customers,
    workload_stock,
)
from cqrs_lab.read_side.projection import (
    FOLD_STEP,
    Projection,
    RowProjection,
    TablesProjection,
)
from cqrs_lab.read_side.projector import Progress
from cqrs_lab.write_side.collector import no_gc_pauses

#: The workload's order lines and address as plain values, as a client would send them.
LINES = tuple((item.product_id, item.quantity, item.unit_price) for item in WORKLOAD_ITEMS)
ADDRESS = DEMO_ADDRESS.model_dump()


def workload_lab():
    """A lab at ``build_lab()``'s defaults with the workload's customers and stock."""
    return build_lab(customers=workload_customers(500), stock=workload_stock())


async def dispatch_workload(lab, orders: int) -> None:
    """The standard workload through ``await lab.command_bus.dispatch``, each command
    (and each of its ``OrderItem``s) built from plain values in the loop."""
    dispatch = lab.command_bus.dispatch
    customers = list(lab.catalogue.customers)
    for n in range(orders):
        events = await dispatch(
            CreateOrder(
                customer_id=customers[n % len(customers)],
                items=[OrderItem(product_id=p, quantity=q, unit_price=u) for p, q, u in LINES],
                shipping_address=ADDRESS,
            )
        )
        if is_cancelled(n):
            await dispatch(CancelOrder(order_id=created_order_id(events), reason="workload"))
        elif is_shipped(n):
            await dispatch(ShipOrder(order_id=created_order_id(events)))


def stored_events(lab) -> int:
    """Events a lab holds: its order log and its warehouse's stock streams (one store
    when a saga shares the log)."""
    stores = {id(s): s for s in (lab.event_store, lab.inventory.store)}
    return sum(store.head for store in stores.values())


def write_path(orders: int) -> dict:
    """Events/s through dispatch -> handler (prices, stock reservations) -> aggregate ->
    store appends -> publish. ``events`` counts every event the workload stored: the
    orders' and the stock reservations and releases (not the warehouse's opening stock)."""
    lab = workload_lab()
    opening = stored_events(lab)
    start = time.perf_counter()
    asyncio.run(dispatch_workload(lab, orders))
    seconds = time.perf_counter() - start
    return {"events": stored_events(lab) - opening, "orders": orders, "seconds": seconds}


def peer_write_path(orders: int) -> dict:
    """The same workload through the ``eventsourcing`` library's POPO applications, stock
    reservations included (see :mod:`benchmarks.peer`): the same events as ours."""
    customers = list(workload_customers(500))
    start = time.perf_counter()
    events = peer.run_peer_workload(orders, customers)
    return {"events": events, "orders": orders, "seconds": time.perf_counter() - start}


def history_lab(events: int):
    """A workload lab whose store holds at least ``events`` events (appended directly:
    the same events the workload dispatches, without spending the write path's time)."""
    lab = workload_lab()
    append_workload_history(lab, orders_for(events))
    return lab


def catch_up(events: int) -> dict:
    """Events/s of ``lab.projector.catch_up()`` from zero into both read models, on a
    fresh lab at defaults whose store holds ``events`` workload events."""
    lab = history_lab(events)
    gc.collect()
    cpu, start = time.process_time(), time.perf_counter()
    applied = lab.projector.catch_up()
    seconds = time.perf_counter() - start
    return {"events": applied, "seconds": seconds, "cpu_seconds": time.process_time() - cpu}


def apply_alone(events: int) -> dict:
    """Seconds of the read models' own ``apply`` alone over the catch-up's events: a floor
    under any catch-up in which a Python ``apply`` folds each event.

    Each projection of a fresh workload lab (``order_summary``, ``customer_stats``) gets the
    events it handles, picked beforehand (and a row projection's row keys, worked out
    beforehand as integers, which hash in C), and folds them into plain dicts with the
    collector paused, in the projector's slices and turns (:data:`FOLD_STEP` events each):
    no reading, no loading, no DuckDB, nothing of the core but the calls. Only the
    ``apply`` calls and their dict look-ups are timed, so in this process no core folding
    each event with ``apply`` catches up faster than the median of these runs.
    """
    return time_folds(history_lab(events))


def time_folds(lab) -> dict:
    """:func:`apply_alone` on the events ``lab`` holds."""
    folds = folds_of(lab).values()
    with no_gc_pauses():
        cpu, start = time.process_time(), time.perf_counter()
        applied = fold_in_turns(folds)
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu
    return {"events": lab.event_store.head, "applied": applied, "seconds": seconds,
            "cpu_seconds": cpu}  # fmt: skip


class FoldAlone:
    """One read model's own ``apply`` over the stored events it handles, into plain dicts
    (:attr:`rows`: table name -> key -> row; a row projection's UUID keys as integers).
    Everything but the ``apply`` calls and their look-ups is done beforehand."""

    def __init__(self, projection: Projection, stored: list) -> None:
        if not isinstance(projection, RowProjection | TablesProjection):
            raise TypeError(f"{projection.name} is neither a row nor a tables projection")
        self.projection = projection
        self.events = [event for event in stored if isinstance(event, projection.handles)]
        self.keys = (
            [_int_key(projection.key_of(event)) for event in self.events]
            if isinstance(projection, RowProjection)
            else None
        )
        self.rows: dict[str, dict] = {table.name: {} for table in projection.tables}

    def fold(self, start: int, end: int) -> int:
        """Apply events ``start`` to ``end`` (of those it handles); returns how many."""
        events, apply = self.events[start:end], self.projection.apply
        if self.keys is None:
            rows = self.rows
            for event in events:
                apply(rows, event)
            return len(events)
        rows = self.rows[self.projection.table.name]
        get = rows.get
        for key, event in zip(self.keys[start:end], events):
            row = get(key)
            new = apply(row, event)
            if new is not row:
                rows[key] = new
        return len(events)


def folds_of(lab) -> dict[str, FoldAlone]:
    """A :class:`FoldAlone` for each read model of ``lab``, by name, over what it holds."""
    stored = [r.event for r in lab.event_store.read_all()]
    return {name: FoldAlone(p, stored) for name, p in lab.projector.projections.items()}


def fold_in_turns(folds: Iterable[FoldAlone]) -> int:
    """Run ``folds`` as the projector runs its projections: :data:`FOLD_STEP` events of
    each in turn, so each slice is folded while it is in the CPU's cache; returns how many
    events were applied in all."""
    folds = list(folds)
    applied = 0
    longest = max((len(fold.events) for fold in folds), default=0)
    for start in range(0, longest, FOLD_STEP):
        for fold in folds:
            applied += fold.fold(start, start + FOLD_STEP)
    return applied


def _int_key(key):
    return key.int if isinstance(key, UUID) else key


def per_event(lab, events: int) -> dict:
    """Events/s of the seed's projection: one SQL statement per event, into DuckDB."""
    con = duckdb.connect(":memory:")
    projection = SeedOrderProjection(con, lab.customers)
    batch = [r.event for r in lab.event_store.read_all(limit=events)]
    start = time.perf_counter()
    for event in batch:
        projection.handle_now(event)
    seconds = time.perf_counter() - start
    con.close()
    return {"events": len(batch), "seconds": seconds}


def rebuild(lab, on_progress: Progress | None = None) -> dict:
    """Seconds of ``Projector.rebuild`` of both read models over the whole store."""
    start = time.perf_counter()
    events = lab.projector.rebuild(on_progress=on_progress)
    return {"events": events, "seconds": time.perf_counter() - start}


def set_based(lab, on_progress: Progress | None = None) -> dict:
    """Seconds of the set-based rebuild (one INSERT .. SELECT .. GROUP BY per table)."""
    start = time.perf_counter()
    events = set_based_rebuild(lab.projector, lab.customers.name_of, on_progress)
    return {"events": events, "seconds": time.perf_counter() - start}


def timed_run(measure: Callable[[], dict]) -> dict:
    """One run of ``measure`` after a full collection, with the process's CPU seconds
    (unless the measurement reports its own, for the timed step alone).

    CPU seconds (all threads, DuckDB's included) next to wall seconds show how much a
    figure suffered from other processes on a shared machine.
    """
    gc.collect()
    cpu = time.process_time()
    result = measure()
    result.setdefault("cpu_seconds", time.process_time() - cpu)
    return result


def summarise(results: list[dict]) -> dict:
    """The run with the median wall seconds, plus every run's wall and CPU seconds."""
    results = sorted(results, key=lambda r: r["seconds"])
    middle = dict(results[len(results) // 2])
    middle["runs_seconds"] = [round(r["seconds"], 4) for r in results]
    middle["runs_cpu_seconds"] = [round(r["cpu_seconds"], 4) for r in results]
    middle["events_per_second"] = middle["events"] / middle["seconds"]
    if "orders" in middle:
        middle["orders_per_second"] = middle["orders"] / middle["seconds"]
    return middle


def median_of(runs: int, measure: Callable[[], dict]) -> dict:
    """Run ``measure`` ``runs`` times; see :func:`summarise`."""
    return summarise([timed_run(measure) for _ in range(runs)])


def medians_interleaved(runs: int, *measures: Callable[[], dict]) -> tuple[dict, ...]:
    """Medians of measurements run in turn (A, B, A, B, ...), so that a busy moment on a
    shared machine or a growing heap hurts each alike."""
    results: list[list[dict]] = [[] for _ in measures]
    for _ in range(runs):
        for measure, runs_of_it in zip(measures, results):
            runs_of_it.append(timed_run(measure))
    return tuple(summarise(runs_of_it) for runs_of_it in results)
