"""The benchmark's code paths give right answers on tiny inputs (no timing is asserted)."""

import asyncio

import pytest

from benchmarks import big_history, measure, peer
from benchmarks.__main__ import table, targets, verdicts
from benchmarks.history import append_workload_history, orders_for
from cqrs_lab.orders import build_lab
from cqrs_lab.orders.workloads.workload import run_workload


def event_facts(lab):
    """Everything about the events except their ids and times."""
    return [
        (type(r.event).__name__, r.version, getattr(r.event, "quantity", None))
        + (getattr(r.event, "unit_price", None), getattr(r.event, "customer_id", None))
        for r in lab.event_store.read_all()
    ]


def test_the_fast_history_holds_the_same_events_as_dispatching_the_workload():
    dispatched, appended, awaited = (measure.workload_lab() for _ in range(3))
    run_workload(dispatched, 45)
    append_workload_history(appended, 45)
    asyncio.run(measure.dispatch_workload(awaited, 45))
    assert event_facts(appended) == event_facts(dispatched) == event_facts(awaited)
    assert orders_for(appended.event_store.head) == 45


def test_the_benchmark_lab_is_build_lab_at_its_defaults_with_the_workload_catalogue():
    lab, default = measure.workload_lab(), build_lab()
    assert lab.projector.batch_size == default.projector.batch_size
    assert lab.consistency == default.consistency
    assert len(lab.command_bus.observers) == len(default.command_bus.observers)
    assert len(lab.catalogue.customers) == 500


def test_catch_up_per_event_and_rebuilds_count_every_event_once():
    lab = measure.history_lab(900)
    head = lab.event_store.head
    assert measure.catch_up(900)["events"] == head
    assert measure.per_event(lab, 100)["events"] == 100
    lab.catch_up()
    projected = lab.read_model("order_summary").sort_values("id").reset_index(drop=True)
    assert measure.rebuild(lab)["events"] == head
    assert measure.set_based(lab)["events"] == head
    rebuilt = lab.read_model("order_summary").sort_values("id").reset_index(drop=True)
    assert rebuilt.equals(projected)


def test_the_apply_alone_floor_folds_what_the_catch_up_writes():
    """The floor does the catch-up's folding work, all of it and no more: its plain dicts
    hold, row for row and value for value, what the projector writes to DuckDB."""
    lab = measure.history_lab(900)
    folds = measure.folds_of(lab)
    applied = measure.fold_in_turns(folds.values())
    assert applied == sum(len(fold.events) for fold in folds.values()) > lab.event_store.head
    lab.catch_up()
    folded = {name: fold.rows for name, fold in folds.items()}
    checked = 0
    for tables in folded.values():
        for name, rows in tables.items():
            stored = lab.read_db.execute(f"SELECT * FROM {name}")
            assert len(rows) == len(stored) > 0, name
            by_key = {_plain(next(iter(row.values()))): row for row in rows.values()}
            for values in stored:
                row = by_key[_plain(values[0])]
                for column, value in zip(stored.columns, values):
                    if column != "created_at":  # DuckDB keeps it naive UTC
                        assert row[column] == pytest.approx(value), (name, column)
                checked += 1
    assert checked == sum(len(rows) for tables in folded.values() for rows in tables.values())
    assert set(folded) == {"order_summary", "customer_stats"} and checked > 2 * 200
    figures = measure.apply_alone(900)
    assert figures["events"] == lab.event_store.head and figures["applied"] == applied


def _plain(key):
    return getattr(key, "int", key)


def test_big_history_and_table_report_every_figure():
    big = big_history.main(2_000, 1)
    assert big["events"] >= 2_000 and big["orders"] == orders_for(2_000)
    assert big["apply_alone"]["events"] == big["events"]
    assert big["peak_rss_mib"] > 0 and big["rebuild"]["events"] == big["events"]
    write = measure.median_of(3, lambda: measure.write_path(10))
    # 7 events per order (4 of the order, 3 stock reservations); order 3 is shipped (+1),
    # order 7 cancelled (+1, and its 3 reservations released).
    assert write["events"] == 10 * 7 + 1 + 4 and len(write["runs_seconds"]) == 3
    assert write["orders"] == 10 and write["orders_per_second"] > 0
    lab = measure.history_lab(500)
    figures = {
        "write_path": write,
        "catch_up": measure.median_of(1, lambda: measure.catch_up(500)),
        "per_event": measure.median_of(1, lambda: measure.per_event(lab, 50)),
        "apply_alone": measure.median_of(1, lambda: measure.apply_alone(500)),
        "big": big,
    }
    text = table(figures)
    assert "apply alone (floor: no core, no DB)" in text
    assert "eventsourcing not installed" in text or "x eventsourcing" in text
    assert "per-event SQL (seed style)" in text and "peak RSS" in text
    verdict = verdicts(figures)
    assert "rebuild of 1,000,000 events < 1.5 s: not judged" in verdict  # only 2,000 here
    assert "catch-up >= 500x per-event SQL: " in verdict
    assert "no catch-up that applies each event passes it" in verdict
    assert "no rebuild that applies each event takes less" in verdict
    quick = targets({**figures, "sizes": {"write_orders": 10}})
    assert all(t["met"] is None for t in quick.values())  # --quick sizes are never judged


def figures_with(write_ratio, catch_up_per_second, per_event_per_second, rebuild_s, rss_mib):
    rate = {"events_per_second": 1.0}
    return {
        "write_path": {"events_per_second": write_ratio},
        "peer_write_path": rate,
        "catch_up": {"events_per_second": catch_up_per_second},
        "per_event": {"events_per_second": per_event_per_second},
        "big": {"events": 1_000_001, "rebuild": {"seconds": rebuild_s}, "peak_rss_mib": rss_mib},
    }


def test_targets_are_judged_at_their_lines():
    at_the_line = targets(figures_with(3.0, 500_000, 1_000, 1.49, 1023))
    assert all(t["met"] for t in at_the_line.values()), at_the_line
    missed = targets(figures_with(2.99, 499_999, 1_001, 1.5, 1024))
    assert not any(t["met"] for t in missed.values()), missed
    assert missed["catch-up >= 500x per-event SQL"]["value"] == pytest.approx(499.5, abs=0.1)
    assert "write path >= 3x eventsourcing: MISSED (2.99)" in verdicts({"targets": missed})


def test_the_peer_stores_the_same_events_as_ours_stock_reservations_included():
    if not peer.available():
        pytest.skip("the eventsourcing library (bench extra) is not installed")
    customers = list(measure.workload_lab().catalogue.customers)
    assert measure.peer_write_path(10)["events"] == measure.write_path(10)["events"]
    # 20 orders: 7 events each, orders 3 and 13 shipped (+1 each), order 7 cancelled
    # (+1, and the 3 reservations it held released).
    assert peer.run_peer_workload(20, customers) == 20 * 7 + 2 + 4


def test_memory_by_stage_counts_every_stored_event_and_names_each_owner():
    from benchmarks import memory

    stages = memory.rss_by_stage(30)
    assert stages["events"] == measure.write_path(30)["events"]
    assert list(stages["rss_mib"]) == ["before", "lab built", "dispatched", "caught up"]
    stock = ["/x/cqrs_lab/write_side/aggregate.py", "/x/cqrs_lab/orders/services.py"][::-1]
    assert memory.owner_of(stock).startswith("stock")
    order_event = ["/x/benchmarks/measure.py", "/x/cqrs_lab/write_side/aggregate.py"]
    assert memory.owner_of(order_event) == "order events (pydantic models)"
    assert memory.owner_of(["/usr/lib/python3.11/asyncio/events.py"]) == "outside the lab"
