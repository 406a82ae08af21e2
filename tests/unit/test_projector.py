"""The projector: batched, checkpointed in the same transaction, idempotent, rebuildable."""

import pytest

from cqrs_lab import Projection
from cqrs_lab.orders import ALAN, GRACE, CancelOrder, ShipOrder, build_lab, created_order_id
from cqrs_lab.orders.projections import CustomerStatsProjection
from cqrs_lab.projection import Table
from tests.builders import armchair_and_keyboards


def busy(lab, orders=6):
    """``orders`` orders across three customers; every third cancelled, every fourth shipped."""
    for n in range(orders):
        customer = [None, GRACE, ALAN][n % 3]
        command = armchair_and_keyboards() if customer is None else armchair_and_keyboards(customer)
        order_id = created_order_id(lab.dispatch(command))
        if n % 3 == 2:
            lab.dispatch(CancelOrder(order_id=order_id, reason="changed mind"))
        elif n % 4 == 3:
            lab.dispatch(ShipOrder(order_id=order_id))
        lab.clock.advance(1)
    return lab


def tables(lab):
    return {
        name: lab.read_model(name).to_dict("list")
        for name in ("order_summary", "customer_stats", "customer_stats_orders")
    }


def test_step_applies_one_event_at_a_time(lab):
    busy(lab, 2)
    assert lab.projector.step() == 1
    assert lab.projector.checkpoints() == {"order_summary": 1, "customer_stats": 1}
    assert len(lab.read_model("order_summary")) == 1
    assert lab.read_model("order_summary").loc[0, "item_count"] == 0
    assert lab.projector.step(2) == 2 and lab.projector.position == 3


@pytest.mark.parametrize("batch_size", [1, 3, 7, 1000])
def test_incremental_projection_in_any_batch_size_equals_a_rebuild(batch_size):
    lab = busy(build_lab(seed=5, batch_size=batch_size), 9)
    while lab.projector.step(batch_size):
        pass
    incremental = tables(lab)
    assert lab.projector.rebuild() == lab.event_store.head
    assert tables(lab) == incremental
    assert lab.projector.checkpoints() == {
        "order_summary": lab.event_store.head,
        "customer_stats": lab.event_store.head,
    }


def test_rebuild_reports_progress_and_recovers_from_a_tampered_read_model(lab):
    busy(lab, 4)
    lab.catch_up()
    expected = tables(lab)
    lab.projector.connection.execute("UPDATE order_summary SET total_amount = -1")
    progress = []
    lab.projector.rebuild(on_progress=lambda done, total: progress.append((done, total)))
    assert tables(lab) == expected
    assert progress[-1] == (lab.event_store.head, lab.event_store.head)


class Explodes(Projection):
    """Writes its table, then fails: the stand-in for a crash before commit."""

    name = "explodes"
    tables = (Table("explodes", key="k", columns={"k": "INTEGER"}),)
    handles = (object,)

    def __init__(self):
        self.armed = True

    def apply_batch(self, con, batch):
        self.tables[0].upsert(con, [{"k": r.position} for r in batch])
        if self.armed:
            raise RuntimeError("crash before commit")


def test_a_crash_before_commit_moves_neither_tables_nor_checkpoints(lab):
    busy(lab, 3)
    lab.catch_up()
    before = tables(lab), lab.projector.checkpoints()
    busy(lab, 2)
    bomb = Explodes()
    lab.add_read_model(bomb)
    with pytest.raises(RuntimeError, match="crash before commit"):
        lab.catch_up()
    # order_summary wrote its rows in the same transaction before the crash: rolled back.
    assert (
        tables(lab),
        {k: v for k, v in lab.projector.checkpoints().items() if k != "explodes"},
    ) == before
    assert lab.read_model("explodes").empty and lab.projector.checkpoints()["explodes"] == 0
    bomb.armed = False
    lab.catch_up()  # the same batch is delivered again, and applied exactly once
    assert lab.projector.checkpoints()["explodes"] == lab.event_store.head
    reference = tables(lab)
    lab.projector.rebuild()
    assert tables(lab) == reference


def test_a_read_model_added_later_catches_up_from_zero_without_moving_the_others():
    lab = busy(build_lab(seed=2, read_models=["order_summary"]), 5)
    lab.catch_up()
    head = lab.event_store.head
    lab.add_read_model(CustomerStatsProjection(lab.customers))
    assert lab.projector.checkpoints() == {"order_summary": head, "customer_stats": 0}
    assert lab.lag().events_behind == head
    lab.catch_up()
    assert lab.projector.checkpoints() == {"order_summary": head, "customer_stats": head}
    full = busy(build_lab(seed=2), 5)
    full.catch_up()
    assert tables(lab) == tables(full)


def test_each_batch_writes_one_upsert_per_table(lab, monkeypatch):
    busy(lab, 6)
    calls = []
    original = Table.upsert
    monkeypatch.setattr(
        Table,
        "upsert",
        lambda self, con, rows: calls.append(self.name) or original(self, con, rows),
    )
    lab.catch_up()  # default batch size 1000: everything in one batch
    assert sorted(calls) == ["customer_stats", "customer_stats_orders", "order_summary"]


def test_lag_counts_events_and_seconds_behind_on_the_lab_clock(lab):
    assert (lab.lag().events_behind, lab.lag().seconds_behind) == (0, 0.0)
    lab.dispatch(armchair_and_keyboards())  # 3 events at t0
    lab.clock.advance(4)
    lab.dispatch(armchair_and_keyboards())  # 3 more at t0 + 4 s
    lab.clock.advance(6)
    lag = lab.lag()
    assert (lag.head, lag.position, lag.events_behind, lag.seconds_behind) == (6, 0, 6, 10.0)
    lab.projector.step(3)
    assert (lab.lag().events_behind, lab.lag().seconds_behind) == (3, 6.0)
    lab.catch_up()
    assert (lab.lag().events_behind, lab.lag().seconds_behind) == (0, 0.0)


def test_batch_size_must_be_positive():
    with pytest.raises(ValueError, match="batch_size"):
        build_lab(batch_size=0)


@pytest.mark.parametrize("careful", [False, True])
def test_both_rebuild_paths_across_chunk_boundaries_equal_incremental(monkeypatch, careful):
    import cqrs_lab.projector as projector_module

    lab = busy(build_lab(seed=9, batch_size=4), 9)
    lab.catch_up()
    incremental = tables(lab)
    monkeypatch.setattr(projector_module, "_REBUILD_CHUNK", 5)
    progress = []
    selected = list(lab.projector.projections.values())
    lab.projector._rebuild(selected, lambda done, total: progress.append(done), careful)
    assert tables(lab) == incremental
    assert progress[0] == 5 and progress[-1] == lab.event_store.head and len(progress) > 2
