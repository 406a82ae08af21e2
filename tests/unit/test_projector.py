"""The projector: batched, checkpointed in the same transaction, idempotent, rebuildable."""

import gc

import duckdb
import pytest

from cqrs_lab import Projection, ProjectionError, Projector, tamper_event
from cqrs_lab.orders import ALAN, GRACE, CancelOrder, ShipOrder, created_order_id
from cqrs_lab.orders import build_lab as build_demo_lab
from cqrs_lab.orders.customer_stats import CustomerStatsProjection
from cqrs_lab.orders.order_summary import OrderProjection
from cqrs_lab.read_side.projection import Table
from tests.builders import armchair_and_keyboards

PLENTY = {"CRUNCHY-ARMCHAIR": 10**6, "SILENT-KEYBOARD": 10**6}
"""Stock for as many armchair-and-keyboards orders as a test places."""


def build_lab(**options):
    """The demo lab, with stock for every order these tests place."""
    return build_demo_lab(**{"stock": PLENTY, **options})


@pytest.fixture
def lab():
    return build_lab(seed=1)


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
    with pytest.raises(ProjectionError, match="RuntimeError: crash before commit") as error:
        lab.catch_up()
    # Wrapped: the error names the projection and the (first) event it failed on.
    assert (error.value.projection, error.value.position) == ("explodes", 1)
    assert isinstance(error.value.__cause__, RuntimeError)
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


def test_each_batch_writes_each_table_with_one_statement(lab, monkeypatch):
    busy(lab, 6)
    writes = []
    original = Table._write

    def spy(self, con, verb, rows, tail=""):
        rows = list(rows)
        if rows:
            writes.append(self.name)
        return original(self, con, verb, rows, tail)

    monkeypatch.setattr(Table, "_write", spy)
    lab.catch_up()  # default batch size 1000: everything in one batch
    assert sorted(writes) == ["customer_stats", "customer_stats_orders", "order_summary"]


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
    import cqrs_lab.read_side.rebuild as rebuild_module

    lab = busy(build_lab(seed=9, batch_size=4), 9)
    lab.catch_up()
    incremental = tables(lab)
    monkeypatch.setattr(rebuild_module, "REBUILD_CHUNK", 5)
    progress = []
    selected = list(lab.projector.projections.values())
    rebuild_module.rebuild_from_zero(
        lab.projector, selected, lambda done, total: progress.append(done), careful
    )
    assert tables(lab) == incremental
    assert progress[0] == 5 and progress[-1] == lab.event_store.head and len(progress) > 2


@pytest.mark.parametrize("projection_type", [OrderProjection, CustomerStatsProjection])
@pytest.mark.parametrize("created_earlier", [True, False], ids=["earlier batch", "same batch"])
@pytest.mark.parametrize("others", [0, 70], ids=["alone", "among many new rows"])
def test_a_second_order_created_is_refused_not_a_silent_reset(
    projection_type, created_earlier, others
):
    # Orders created inside a batch are not looked up before they are written; a second
    # OrderCreated must still fail loudly, whether the first is in the table already
    # (the INSERT meets the primary key) or earlier in the same batch (the fold sees it).
    # Past 64 new rows the INSERT reads registered columns instead of parameters, and the
    # primary-key error must survive the clean-up of that registration.
    lab = build_lab(seed=1)
    order_id = created_order_id(lab.dispatch(armchair_and_keyboards()))
    projector = Projector(
        lab.event_store,
        duckdb.connect(),
        projections=[projection_type(lab.customers)],
        clock=lab.clock,
    )
    if created_earlier:
        projector.catch_up()
    for customer in [GRACE, ALAN] * (others // 2):
        lab.dispatch(armchair_and_keyboards(customer))
    version = lab.dispatch(CancelOrder(order_id=order_id, reason="x"))[0].version
    first = lab.event_store.read_all()[0].event
    tamper_event(
        lab.event_store, lab.event_store.head, first.model_copy(update={"version": version})
    )
    names = [t.name for t in projection_type.tables]

    def contents():
        con = projector.connection
        return {n: con.execute(f"SELECT * FROM {n} ORDER BY ALL").fetchall() for n in names}

    before, checkpoints = contents(), projector.checkpoints()
    with pytest.raises(ProjectionError, match=f"order {order_id} was already created") as error:
        projector.catch_up()
    assert (error.value.projection, error.value.position) == (
        projection_type.name,
        lab.event_store.head,
    )
    assert contents() == before and projector.checkpoints() == checkpoints


def test_catch_up_at_the_defaults_takes_what_is_pending_in_one_big_transaction():
    lab = busy(build_lab(seed=3), 400)  # more than 1,000 events
    assert lab.event_store.head > 1000
    commits = []
    lab.projector.observers.append(commits.append)
    lab.catch_up()
    assert [(c.first_position, c.last_position) for c in commits] == [(1, lab.event_store.head)]


def test_a_batch_size_you_choose_still_splits_catch_up_and_step_stays_one_event():
    lab = busy(build_lab(seed=3, batch_size=10), 5)
    commits = []
    lab.projector.observers.append(commits.append)
    assert lab.projector.step() == 1
    lab.catch_up()
    sizes = [c.last_position - c.first_position + 1 for c in commits]
    assert sizes[0] == 1 and set(sizes[1:-1]) == {10} and sum(sizes) == lab.event_store.head


def test_a_rebuild_shows_progress_through_a_tqdm_bar(lab):
    import io

    from cqrs_lab import ProgressBar

    busy(lab, 4)
    out = io.StringIO()
    bar = ProgressBar("rebuild", file=out)
    assert lab.projector.rebuild(on_progress=bar) == lab.event_store.head
    assert bar.done == bar.bar.total == lab.event_store.head
    assert "rebuild" in out.getvalue() and "100%" in out.getvalue()


class ReadsWatched:
    """An event source that notes whether the cyclic collector ran during each read."""

    def __init__(self, store, fail: bool = False) -> None:
        self.store, self.fail, self.collector_on = store, fail, []

    @property
    def head(self) -> int:
        return self.store.head

    def read_all(self, *, after: int = 0, limit: int | None = None):
        self.collector_on.append(gc.isenabled())
        if self.fail:
            raise ConnectionError("the database went away")
        return self.store.read_all(after=after, limit=limit)


@pytest.fixture
def collector_restored():
    """A failing check below must not leave the collector off for the tests after it."""
    yield
    gc.enable()


@pytest.mark.parametrize("fail", [False, True], ids=["read", "failed read"])
@pytest.mark.usefixtures("collector_restored")
def test_the_collector_is_paused_from_each_read_and_back_on_after_the_batch(lab, fail):
    # A durable store decodes a whole page of new objects per read; a collection between
    # the read and the fold walked all of them. The pause must never outlive the batch.
    busy(lab, orders=3)
    source = ReadsWatched(lab.event_store, fail=fail)
    projector = Projector(
        source, duckdb.connect(), projections=[OrderProjection(lab.customers)], clock=lab.clock
    )
    assert gc.isenabled()
    if fail:
        with pytest.raises(ConnectionError, match="went away"):
            projector.catch_up()
    else:
        assert projector.catch_up() == lab.event_store.head
        assert projector.step() == 0  # nothing left: one more read, also paused
    assert source.collector_on and not any(source.collector_on)
    assert gc.isenabled()
