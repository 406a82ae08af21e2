"""Recovery and errors (issue 14): every failure says what and where, and loses nothing."""

import threading

import pytest

from cqrs_lab import (
    BlueGreenRebuild,
    DeliveryStalledError,
    FaultPlan,
    Projection,
    ProjectionError,
    Table,
    check_consistency,
    read_models_as_of,
)
from cqrs_lab.orders import OrderProjectionV2, build_lab
from tests.builders import armchair_and_keyboards, snapshot, three_orders

PLENTY = {"CRUNCHY-ARMCHAIR": 10**6, "SILENT-KEYBOARD": 10**6}
"""Stock for tests that place many orders."""


class FailsAt(Projection):
    """Counts events; its handler raises ``error`` for the event at ``position``."""

    name = "fails_at"
    tables = (Table("fails_at", key="position", columns={"position": "BIGINT"}),)
    handles = (object,)

    def __init__(self, position, error):
        self.position, self.error = position, error

    def apply_batch(self, con, batch):
        self.tables[0].insert(con, [{"position": r.position} for r in batch])
        if any(r.position == self.position for r in batch):
            raise self.error


# -- two threads -----------------------------------------------------------------------


def test_two_threads_catching_up_at_once_take_turns_and_apply_every_event_once():
    lab = build_lab(seed=4, batch_size=1, stock=PLENTY)
    for _ in range(20):
        lab.dispatch(armchair_and_keyboards())
    start, errors, applied = threading.Barrier(2), [], []

    def run():
        start.wait()
        try:
            applied.append(lab.projector.catch_up())
        except Exception as error:  # what the old projector raised: DuckDB's own errors
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(applied) == lab.event_store.head == 60
    assert check_consistency(lab).ok


# -- handler failures are wrapped ------------------------------------------------------


@pytest.mark.parametrize("error", [TypeError("unsupported operand"), RuntimeError("bug"), KeyError])
def test_any_handler_failure_names_the_projection_and_the_exact_position(error):
    lab = build_lab(seed=1, read_models=())
    three_orders(lab)
    lab.add_read_model(FailsAt(5, error))
    with pytest.raises(ProjectionError, match="fails_at cannot apply OrderItemAdded at position 5"):
        lab.catch_up()
    assert lab.projector.checkpoints() == {"fails_at": 0}  # raise policy: nothing committed
    assert lab.read_model("fails_at").empty


def test_a_wrapped_handler_failure_keeps_the_original_error_as_its_cause():
    lab = build_lab(seed=1, read_models=())
    three_orders(lab)
    lab.add_read_model(FailsAt(2, TypeError("NaN is not a number")))
    with pytest.raises(ProjectionError) as raised:
        lab.catch_up()
    assert (raised.value.projection, raised.value.position) == ("fails_at", 2)
    assert isinstance(raised.value.__cause__, TypeError)
    assert "TypeError: NaN is not a number" in str(raised.value)


def test_a_handler_failure_in_a_rebuild_names_the_position_too():
    lab = build_lab(seed=1, read_models=())
    three_orders(lab)
    failing = FailsAt(None, TypeError("late bug"))
    lab.add_read_model(failing)
    lab.catch_up()
    failing.position = 8
    with pytest.raises(ProjectionError, match="fails_at cannot apply OrderItemAdded at position 8"):
        lab.projector.rebuild()
    assert len(lab.read_model("fails_at")) == 9  # the rebuild rolled back


# -- Ctrl-C during a retry -------------------------------------------------------------


def test_ctrl_c_during_a_retry_leaves_the_dead_letter_retryable(monkeypatch):
    lab = build_lab(
        seed=1, dead_letter_policy="skip", faults=FaultPlan(poison={5: "order_summary"})
    )
    three_orders(lab)
    lab.catch_up()
    lab.projector.faults.heal()
    projection = lab.projector.projections["order_summary"]
    real = projection.apply_batch

    def interrupted(con, batch):
        raise KeyboardInterrupt

    monkeypatch.setattr(projection, "apply_batch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        lab.projector.retry_dead_letters()
    assert lab.projector.dead_letters.open == {("order_summary", 5): "skipped"}
    assert lab.lag().dead_letters == 1
    monkeypatch.setattr(projection, "apply_batch", real)
    assert lab.projector.retry_dead_letters() == 1
    assert check_consistency(lab).ok


# -- out-of-order delivery -------------------------------------------------------------


def test_catch_up_after_three_reversed_deliveries_re_reads_and_catches_up():
    lab = build_lab(seed=1, faults=FaultPlan(reverse_batches=3))
    three_orders(lab)
    assert lab.catch_up() == 9
    assert lab.lag().events_behind == 0
    assert check_consistency(lab).ok


def test_catch_up_that_cannot_get_a_gap_free_delivery_says_why():
    lab = build_lab(seed=1, faults=FaultPlan(reverse_batches=1000))
    three_orders(lab)
    with pytest.raises(DeliveryStalledError, match="stalled at position 0 of 9") as stalled:
        lab.catch_up()
    assert stalled.value.gap.kind == "gap"
    lab.projector.faults.reverse_batches = 0  # the transport is fixed
    assert lab.catch_up() == 9


# -- bad arguments ---------------------------------------------------------------------


@pytest.mark.parametrize("position", [1.5, "3", None])
def test_time_travel_to_something_that_is_not_a_position_is_refused(lab, position):
    three_orders(lab)
    with pytest.raises(TypeError, match="position must be a whole number"):
        lab.read_model_as_of("order_summary", position)
    with pytest.raises(TypeError, match="position must be a whole number"):
        read_models_as_of(lab.event_store, lab.projector.projections.values(), position)


@pytest.mark.parametrize("n", [1.5, "3", None, True])
def test_step_needs_a_whole_number_of_events(lab, n):
    three_orders(lab)
    with pytest.raises(TypeError, match="n must be a whole number of events"):
        lab.projector.step(n)
    assert lab.projector.position == 0


def test_rebuild_of_a_single_string_asks_for_a_list(lab):
    three_orders(lab)
    with pytest.raises(TypeError, match=r"did you mean \['order_summary'\]"):
        lab.projector.rebuild("order_summary")
    with pytest.raises(ValueError, match=r"no running projection named \['orders'\]"):
        lab.projector.rebuild(["orders"])


@pytest.mark.parametrize("batch_size", [2.5, "10", 0])
def test_a_batch_size_that_is_not_a_positive_whole_number_is_refused(batch_size):
    with pytest.raises((TypeError, ValueError), match="batch_size must be"):
        build_lab(batch_size=batch_size)


# -- blue-green ------------------------------------------------------------------------


@pytest.mark.parametrize("schema", ["main", "MAIN", "information_schema", "temp"])
def test_blue_green_in_the_live_or_a_system_schema_is_refused_before_anything_runs(lab, schema):
    three_orders(lab)
    lab.catch_up()
    before = snapshot(lab), lab.projector.checkpoints()
    with pytest.raises(ValueError, match="green needs a schema of its own"):
        BlueGreenRebuild(lab.projector, [OrderProjectionV2(lab.customers)], schema=schema)
    assert (snapshot(lab), lab.projector.checkpoints()) == before


def test_blue_green_refuses_a_schema_that_already_holds_tables(lab):
    three_orders(lab)
    lab.projector.connection.execute("CREATE SCHEMA green")
    lab.projector.connection.execute("CREATE TABLE green.keep_me (x INTEGER)")
    with pytest.raises(ValueError, match=r"already holds tables \['keep_me'\]"):
        BlueGreenRebuild(lab.projector, [OrderProjectionV2(lab.customers)])


def test_a_cut_over_that_fails_midway_changes_nothing(lab):
    three_orders(lab)
    lab.catch_up()
    race = BlueGreenRebuild(lab.projector, [OrderProjectionV2(lab.customers)])
    race.advance()
    before = snapshot(lab), lab.projector.checkpoints()
    # Green's table vanishes after blue's tables were dropped in the cut-over transaction.
    lab.projector.connection.execute("DROP TABLE green.order_summary")
    with pytest.raises(Exception, match="order_summary"):
        race.cut_over()
    assert (snapshot(lab), lab.projector.checkpoints()) == before
    assert not race.cut and "updated_at" not in lab.read_model("order_summary")


def test_a_consistency_check_while_another_thread_catches_up_sees_one_moment():
    lab = build_lab(seed=4, batch_size=1, stock=PLENTY)
    for _ in range(15):
        lab.dispatch(armchair_and_keyboards())
    start, errors, reports = threading.Barrier(2), [], []

    def catch_up():
        start.wait()
        try:
            lab.projector.catch_up()
        except Exception as error:
            errors.append(error)

    def check():
        start.wait()
        try:
            for _ in range(3):
                reports.append(check_consistency(lab))
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=catch_up), threading.Thread(target=check)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(report.ok for report in reports), [str(r) for r in reports]
    assert lab.projector.position == lab.event_store.head
