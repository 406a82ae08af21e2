"""Every way of building the read models gives the same tables: per-event SQL (the seed's
style, on correctly ordered events, delivered once), the batched projector (any batch
size, incremental or rebuilt) and the set-based SQL rebuild."""

from datetime import UTC, datetime

import duckdb
import numpy as np
import pytest

from cqrs_lab.orders import DEMO_ADDRESS, build_lab
from cqrs_lab.orders.comparisons.seed_sample import SeedOrderProjection, seed_create_order_events
from cqrs_lab.orders.comparisons.set_based import SetBasedRebuildError, set_based_rebuild
from cqrs_lab.orders.workloads.workload import (
    WORKLOAD_ITEMS,
    run_workload,
    workload_customers,
    workload_stock,
)
from cqrs_lab.read_side.projection import ProjectionError, Table

SUMMARY = "id, customer_id, customer_name, status, total_amount, item_count, created_at"


def workload_lab(orders, batch_size=1000):
    lab = build_lab(
        seed=7, customers=workload_customers(7), stock=workload_stock(), batch_size=batch_size
    )
    run_workload(lab, orders, seconds_between=2.5)
    return lab


def rows(con, table, columns="*"):
    return con.execute(f"SELECT {columns} FROM {table} ORDER BY 1").fetchall()


def read_models(lab):
    con = lab.projector.connection
    return {
        name: rows(con, name)
        for name in ("order_summary", "customer_stats", "customer_stats_orders")
    }


def per_event_summary(lab):
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Europe/Paris'")  # what is stored must not depend on it
    projection = SeedOrderProjection(con, lab.customers)
    for recorded in lab.event_store.read_all():
        projection.handle_now(recorded.event)
    return rows(con, "seed_order_summary", SUMMARY)


@pytest.mark.parametrize("orders", [1, 23, 61])
def test_per_event_batched_and_set_based_build_the_same_order_summary(orders):
    lab = workload_lab(orders)
    lab.catch_up()
    batched = rows(lab.projector.connection, "order_summary", SUMMARY)
    set_based_rebuild(lab.projector, lab.customers.name_of)
    assert rows(lab.projector.connection, "order_summary", SUMMARY) == batched
    assert per_event_summary(lab) == batched
    assert {row[3] for row in batched} <= {"pending", "cancelled", "shipped"}
    assert sum(row[5] for row in batched) == 3 * orders


@pytest.mark.parametrize("batch_size", [1, 4, 37, 1000])
def test_incremental_batches_and_set_based_rebuild_build_the_same_customer_stats(batch_size):
    lab = workload_lab(61, batch_size=batch_size)
    lab.catch_up()
    batched = read_models(lab)
    set_based_rebuild(lab.projector, lab.customers.name_of)
    assert read_models(lab) == batched
    assert lab.projector.checkpoints() == dict.fromkeys(lab.projector.projections, 253)
    assert lab.event_store.head == 61 * 4 + 3 + 6  # 3 cancelled, 6 shipped
    order_total = sum(item.subtotal for item in WORKLOAD_ITEMS)
    stats = lab.read_model("customer_stats")
    assert stats.order_count.sum() == 61 and stats.cancelled_count.sum() == 3
    assert stats.total_spent.sum() == (61 - 3) * order_total


def test_projector_rebuild_after_set_based_rebuild_gives_the_same_tables():
    lab = workload_lab(40)
    set_based_rebuild(lab.projector, lab.customers.name_of)
    from_sql = read_models(lab)
    lab.projector.rebuild()
    assert read_models(lab) == from_sql


def test_set_based_rebuild_reports_progress_and_handles_an_empty_store():
    lab = workload_lab(0)
    progress = []
    assert set_based_rebuild(lab.projector, lab.customers.name_of, progress.append) == 0
    assert progress == [] and lab.read_model("order_summary").empty
    lab = workload_lab(5)
    seen = []
    set_based_rebuild(lab.projector, lab.customers.name_of, lambda *p: seen.append(p))
    assert seen[-1] == (lab.event_store.head, lab.event_store.head)


def test_set_based_rebuild_refuses_items_before_their_order_and_changes_nothing():
    lab = workload_lab(3)
    lab.catch_up()
    before = read_models(lab), lab.projector.checkpoints()
    customer = next(iter(lab.catalogue.customers))
    events = seed_create_order_events(customer, WORKLOAD_ITEMS, DEMO_ADDRESS)
    order_id = events[0].order_id
    lab.event_store.append(order_id, events, expected_version=0)
    with pytest.raises(SetBasedRebuildError, match=str(order_id)) as raised:
        set_based_rebuild(lab.projector, lab.customers.name_of)
    assert raised.value.order_ids == [order_id]
    assert (read_models(lab), lab.projector.checkpoints()) == before
    scratch = lab.projector.connection.execute(
        "SELECT table_name FROM duckdb_tables() WHERE starts_with(table_name, '_set') "
        "UNION ALL SELECT view_name FROM duckdb_views() WHERE starts_with(view_name, '_set')"
    )
    assert scratch.fetchall() == []


def test_upsert_keeps_missing_ids_and_mixed_timestamps_exact():
    con = duckdb.connect()
    table = Table("t", key="k", columns={"k": "INTEGER", "ref": "UUID", "seen_at": "TIMESTAMP"})
    table.create(con)
    aware = datetime(2026, 1, 5, 10, 30, tzinfo=UTC)
    naive = datetime(2026, 1, 5, 9, 0)
    ref = workload_customers(1).popitem()[0]
    table.upsert(
        con, [{"k": 1, "ref": None, "seen_at": aware}, {"k": 2, "ref": ref, "seen_at": naive}]
    )
    assert rows(con, "t") == [(1, None, aware.replace(tzinfo=None)), (2, ref, naive)]
    assert table.fetch(con, [2, 3]) == {2: {"k": 2, "ref": ref, "seen_at": naive}}


def test_a_failed_rebuild_leaves_the_old_tables_and_checkpoints_in_place():
    lab = workload_lab(12)
    lab.catch_up()
    before = read_models(lab), lab.projector.checkpoints()
    customer = next(iter(lab.catalogue.customers))
    events = seed_create_order_events(customer, WORKLOAD_ITEMS, DEMO_ADDRESS)
    lab.event_store.append(events[0].order_id, events, expected_version=0)
    with pytest.raises(ProjectionError, match="has no OrderCreated"):
        lab.projector.rebuild()
    assert (read_models(lab), lab.projector.checkpoints()) == before


@pytest.mark.parametrize("count", [3, 100], ids=["as parameters", "as columns"])
def test_a_value_is_stored_the_same_whether_few_or_many_rows_are_written(count):
    # Up to 64 rows travel as query parameters, more as NumPy columns: NumPy scalars,
    # NaN and timestamps given as strings with an offset must land the same either way.
    con = duckdb.connect()
    columns = {"k": "BIGINT", "x": "DOUBLE", "ok": "BOOLEAN", "seen_at": "TIMESTAMP"}
    table = Table("t", key="k", columns=columns)
    table.create(con)
    table.insert(
        con,
        [
            {
                "k": np.int64(k),
                "x": np.float64("nan"),
                "ok": np.bool_(k % 2),
                "seen_at": "2026-01-05T12:30:00+02:00",
            }
            for k in range(count)
        ],
    )
    table.upsert(
        con,
        [
            {
                "k": np.int64(1),
                "x": np.float32(1.5),
                "ok": True,
                "seen_at": np.datetime64("2026-01-06T08:00"),
            }
        ],
    )
    stored = rows(con, "t")
    assert stored[:2] == [
        (0, None, False, datetime(2026, 1, 5, 10, 30)),
        (1, 1.5, True, datetime(2026, 1, 6, 8, 0)),
    ]
    assert len(stored) == count
    assert table.fetch(con, [np.int64(1)]) == {1: dict(zip(columns, stored[1]))}
    assert len(table.fetch(con, np.arange(count, dtype=np.int64))) == count
