"""Fault injection: duplicates, reordering and crashes change nothing in the read models."""

import pytest

from cqrs_lab import FaultPlan, InjectedCrash, Projector, check_consistency
from cqrs_lab.breaking.delivery import in_order
from cqrs_lab.orders import CancelOrder, build_lab, created_order_id
from cqrs_lab.orders.comparisons.seed_sample import SeedOrderProjection
from tests.builders import armchair_and_keyboards


def three_orders(lab):
    """Three orders of 3 events each (positions 1-9); the second one cancelled (10)."""
    ids = [created_order_id(lab.dispatch(armchair_and_keyboards())) for _ in range(3)]
    lab.dispatch(CancelOrder(order_id=ids[1], reason="changed mind"))
    return lab


def tables(lab):
    names = ("order_summary", "customer_stats", "customer_stats_orders")
    return {name: lab.read_model(name).to_dict("list") for name in names}


@pytest.fixture
def healthy():
    """What the read models must look like: the same commands, no faults."""
    lab = three_orders(build_lab(seed=1))
    lab.catch_up()
    return tables(lab)


def test_an_event_delivered_twice_is_applied_once(healthy):
    lab = three_orders(build_lab(seed=1, faults=FaultPlan(duplicate={2, 5})))
    lab.catch_up()
    assert lab.projector.faults.fired == [
        "delivered position 2 twice",
        "delivered position 5 twice",
    ]
    assert [(i.kind, i.position) for i in lab.projector.incidents] == [
        ("duplicate", 2),
        ("duplicate", 5),
    ]
    assert tables(lab) == healthy
    assert check_consistency(lab).ok


def test_the_seeds_per_event_update_counts_a_redelivered_item_twice(lab):
    three_orders(lab)
    naive = SeedOrderProjection(lab.projector.connection, lab.customers)
    for recorded in FaultPlan(duplicate={2}).deliver(lab.event_store.read_all()):
        naive.handle_now(recorded.event)
    rows = lab.read_db.df("SELECT total_amount, item_count FROM seed_order_summary ORDER BY id")
    assert sorted(rows.itertuples(index=False)) == [(428.0, 2), (428.0, 2), (677.0, 3)]


def test_a_reordered_batch_is_refused_at_the_gap_and_re_read_from_the_checkpoint(healthy):
    lab = three_orders(build_lab(seed=1, batch_size=4, faults=FaultPlan(reverse_batches=1)))
    assert lab.projector.step(4) == 4
    gap = lab.projector.incidents[0]
    assert (gap.kind, gap.position) == ("gap", 4)
    assert "expected position 1, got 4" in gap.detail
    lab.catch_up()
    assert tables(lab) == healthy
    assert check_consistency(lab).ok


def test_the_projector_never_skips_ahead_over_a_gap():
    lab = three_orders(build_lab(seed=1, faults=FaultPlan(reverse_batches=3)))
    assert lab.projector.step(3) == 0  # three refused deliveries in a row: it waits
    assert lab.projector.checkpoints() == {"order_summary": 0, "customer_stats": 0}
    assert [i.kind for i in lab.projector.incidents] == ["gap", "gap", "gap"]
    assert lab.projector.step(3) == 3


def test_in_order_drops_duplicates_and_stops_at_the_first_gap(lab):
    three_orders(lab)
    events = {r.position: r for r in lab.event_store.read_all()}
    accepted, incidents = in_order([events[p] for p in (2, 3, 3, 5, 4)], after=2)
    assert [r.position for r in accepted] == [3]
    assert [(i.kind, i.position) for i in incidents] == [
        ("duplicate", 2),
        ("duplicate", 3),
        ("gap", 5),
    ]


def test_a_crash_after_the_writes_but_before_commit_leaves_nothing_and_is_redelivered(healthy):
    lab = three_orders(build_lab(seed=1, batch_size=4, faults=FaultPlan(crash_before_commit=1)))
    with pytest.raises(InjectedCrash, match="before commit") as crash:
        lab.catch_up()
    assert crash.value.position == 4
    assert lab.projector.checkpoints() == {"order_summary": 0, "customer_stats": 0}
    assert lab.read_model("order_summary").empty and lab.read_model("customer_stats").empty
    lab.catch_up()  # the restart: the same batch again, applied exactly once
    assert tables(lab) == healthy
    assert check_consistency(lab).ok


def test_a_crash_between_batches_resumes_from_the_committed_checkpoint(healthy):
    lab = three_orders(build_lab(seed=1, batch_size=4, faults=FaultPlan(crash_between_batches=1)))
    with pytest.raises(InjectedCrash, match="between batches"):
        lab.catch_up()
    assert lab.projector.checkpoints() == {"order_summary": 4, "customer_stats": 4}
    # A new process: a fresh projector on the same database starts at the stored checkpoint.
    restarted = Projector(
        lab.event_store, lab.projector.connection, projections=lab.projector.projections.values()
    )
    assert restarted.checkpoints() == {"order_summary": 4, "customer_stats": 4}
    assert restarted.catch_up() == lab.event_store.head - 4
    assert tables(lab) == healthy
    assert check_consistency(restarted).ok


def test_every_fault_at_once_still_gives_the_healthy_read_models(healthy):
    plan = FaultPlan(
        duplicate={1, 4, 9}, reverse_batches=2, crash_before_commit=1, crash_between_batches=1
    )
    lab = three_orders(build_lab(seed=1, batch_size=3, faults=plan))
    crashes = 0
    while True:
        try:
            lab.catch_up()
            break
        except InjectedCrash:
            crashes += 1
    assert crashes == 2 and not plan.pending
    assert tables(lab) == healthy
    assert check_consistency(lab).ok


def test_the_consistency_check_names_each_differing_value(lab):
    three_orders(lab)
    lab.catch_up()
    lab.projector.connection.execute("UPDATE order_summary SET item_count = 9 WHERE version = 4")
    report = check_consistency(lab)
    assert not report.ok
    assert str(report).startswith("INCONSISTENT: order_summary: 1 row(s) differ")
    row = report.differences.iloc[0]
    assert (row.table, row.column, row.live, row.rebuilt) == (
        "order_summary",
        "item_count",
        "9",
        "2",
    )


def test_the_consistency_check_reports_missing_rows_and_ignores_float_noise(lab):
    three_orders(lab)
    lab.catch_up()
    con = lab.projector.connection
    [(gone,)] = con.execute("SELECT id FROM order_summary WHERE version = 4").fetchall()
    con.execute("DELETE FROM order_summary WHERE id = ?", [gone])
    con.execute("UPDATE customer_stats SET total_spent = total_spent + 1e-12")
    report = check_consistency(lab)
    rows = report.differences.to_dict("records")
    assert rows == [
        {
            "table": "order_summary",
            "key": str(gone),
            "column": "(whole row)",
            "live": "missing",
            "rebuilt": "present",
        }
    ]
    assert str(report).startswith("INCONSISTENT: order_summary: 1 row(s) differ")


def test_a_lab_without_read_models_is_consistent():
    lab = three_orders(build_lab(seed=1, read_models=()))
    report = check_consistency(lab)
    assert report.ok and report.differences.empty
