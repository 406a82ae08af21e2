"""Poison and damaged events: dead-lettered with a clear error, per policy, and retried."""

import asyncio
from dataclasses import replace

import pytest

from cqrs_lab import (
    EventSourcedRepository,
    FaultPlan,
    InMemoryEventStore,
    PoisonedEventError,
    ProjectionError,
    check_consistency,
    tamper_event,
)
from cqrs_lab.orders import CancelOrder, Order, OrderItemAdded, build_lab
from tests.builders import snapshot, three_orders


def letters(lab):
    frame = lab.projector.dead_letters.frame(include_resolved=True)
    return [
        tuple(r)
        for r in frame[["projection", "position", "event_type", "attempts", "status"]].itertuples(
            index=False
        )
    ]


def test_with_policy_raise_a_poison_event_rolls_back_and_names_projection_and_position(lab):
    three_orders(lab)
    lab.projector.faults = FaultPlan(poison={5: "customer_stats"})
    before = snapshot(lab)
    with pytest.raises(
        PoisonedEventError, match="customer_stats cannot apply OrderItemAdded at position 5"
    ):
        lab.catch_up()
    assert snapshot(lab) == before
    assert lab.projector.checkpoints() == {"order_summary": 0, "customer_stats": 0}
    assert letters(lab) == []


def test_with_policy_skip_the_event_is_recorded_left_out_and_the_check_reports_it():
    lab = build_lab(
        seed=1, dead_letter_policy="skip", faults=FaultPlan(poison={5: "order_summary"})
    )
    ids = three_orders(lab)
    assert lab.catch_up() == 9
    assert letters(lab) == [("order_summary", 5, "OrderItemAdded", 1, "skipped")]
    error = lab.projector.dead_letters.frame().loc[0, "error"]
    assert error == (
        "PoisonedEventError: order_summary cannot apply OrderItemAdded at position 5: "
        "injected handler failure (poison)"
    )
    assert lab.projector.checkpoints() == {"order_summary": 9, "customer_stats": 9}
    assert lab.lag().dead_letters == 1
    report = check_consistency(lab)
    assert not report.ok
    diff = report.differences.set_index("column")
    assert set(diff["key"]) == {str(ids[1])}
    assert diff.loc["total_amount", ["live", "rebuilt"]].tolist() == ["179.0", "428.0"]


def test_a_skipped_dead_letter_applies_after_the_fix_and_the_check_passes():
    lab = build_lab(seed=1, dead_letter_policy="skip", faults=FaultPlan(poison={5: None}))
    three_orders(lab)
    lab.catch_up()
    assert lab.projector.retry_dead_letters() == 0  # not fixed yet: still failing
    assert [(p, pos, n) for p, pos, _, n, _ in letters(lab)] == [
        ("customer_stats", 5, 2),
        ("order_summary", 5, 2),
    ]
    lab.projector.faults.heal(5)
    assert lab.projector.retry_dead_letters() == 2
    assert {status for *_, status in letters(lab)} == {"resolved"}
    assert lab.lag().dead_letters == 0
    assert check_consistency(lab).ok


def test_with_policy_stop_the_projection_halts_before_the_event_and_the_others_go_on():
    lab = build_lab(
        seed=1, dead_letter_policy="stop", faults=FaultPlan(poison={5: "order_summary"})
    )
    three_orders(lab)
    lab.catch_up()
    assert lab.projector.checkpoints() == {"order_summary": 4, "customer_stats": 9}
    assert lab.projector.stopped == {"order_summary": 5}
    assert (lab.lag().events_behind, lab.lag().dead_letters) == (5, 1)
    assert lab.catch_up() == 0  # stopped stays stopped: no retry storm
    assert check_consistency(lab).differences.empty  # behind, but not wrong
    lab.projector.faults.heal()
    assert lab.projector.retry_dead_letters() == 1
    assert lab.projector.checkpoints() == {"order_summary": 9, "customer_stats": 9}
    assert check_consistency(lab).ok


def test_a_handler_failure_without_a_position_is_traced_to_its_event_by_replaying_one_by_one():
    lab = build_lab(seed=1, dead_letter_policy="skip")
    ids = three_orders(lab)
    lab.dispatch(CancelOrder(order_id=ids[0], reason="late"))  # position 10
    projection = lab.projector.projections["customer_stats"]
    original = projection.apply

    def broken(rows, event):
        if event.version == 4:
            raise RuntimeError("bug in the cancel branch")
        original(rows, event)

    projection.apply = broken
    lab.catch_up()
    assert letters(lab) == [("customer_stats", 10, "OrderCancelled", 1, "skipped")]
    assert (
        lab.projector.dead_letters.frame().loc[0, "error"]
        == "RuntimeError: bug in the cancel branch"
    )
    projection.apply = original
    lab.projector.retry_dead_letters()
    assert check_consistency(lab).ok


def test_a_stored_raw_dict_is_refused_with_a_clear_error_and_no_partial_write(lab):
    three_orders(lab)
    tamper_event(lab.event_store, 5, {"order_id": "?", "quantity": 1})
    before = snapshot(lab)
    with pytest.raises(ProjectionError, match="position 5 holds a dict, not a DomainEvent"):
        lab.catch_up()
    assert snapshot(lab) == before


def test_a_stored_event_missing_fields_is_dead_lettered_naming_the_fields():
    lab = build_lab(seed=1, dead_letter_policy="skip")
    ids = three_orders(lab)
    damaged = OrderItemAdded.model_construct(order_id=ids[1], product_id="MIDNIGHT-LAMP", version=2)
    tamper_event(lab.event_store, 5, damaged)
    lab.catch_up()
    frame = lab.projector.dead_letters.frame()
    assert set(frame["projection"]) == {"order_summary", "customer_stats"}
    assert set(frame["error"]) == {
        f"ProjectionError: {name} cannot apply OrderItemAdded at position 5: "
        "OrderItemAdded is missing field(s) quantity, unit_price"
        for name in ("order_summary", "customer_stats")
    }
    report = check_consistency(lab)
    assert len(report.unprojectable) == 2  # a fresh rebuild cannot apply it either
    assert report.differences.empty


def test_a_stored_event_of_another_stream_is_refused(lab):
    ids = three_orders(lab)
    foreign = lab.event_store.read_all()[4].event.model_copy(update={"order_id": ids[2]})
    tamper_event(lab.event_store, 5, foreign)
    with pytest.raises(ProjectionError, match=f"belongs to {ids[2]}, not stream {ids[1]}"):
        lab.catch_up()


def test_tamper_event_can_put_the_original_back(lab):
    three_orders(lab)
    original = tamper_event(lab.event_store, 5, {"broken": True})
    tamper_event(lab.event_store, 5, original)
    lab.catch_up()
    assert check_consistency(lab).ok
    with pytest.raises(ValueError, match="no event at position 99"):
        tamper_event(lab.event_store, 99, original)


def test_tampering_damages_what_the_read_side_reads_never_the_store_itself(lab):
    ids = three_orders(lab)
    stored = lab.event_store.read_all()
    tamper_event(lab.event_store, 5, {"broken": True})
    assert lab.event_store.read_all() == stored  # no private field written
    assert lab.projector.source.read_all(after=4, limit=1)[0].event == {"broken": True}
    # The write side keeps reading the true events: commands still work.
    lab.dispatch(CancelOrder(order_id=ids[1], reason="fine"))
    assert lab.event_store.head == len(stored) + 1


class DamagedStore(InMemoryEventStore):
    """A broken adapter (a fake subclassing the real store): position 5 reads as a dict."""

    def read_stream(self, stream_id, *, after_version=0):
        events = super().read_stream(stream_id, after_version=after_version)
        return [replace(r, event={"broken": True}) if r.position == 5 else r for r in events]


def test_the_write_side_refuses_to_load_a_damaged_stream_and_appends_nothing(lab):
    ids = three_orders(lab)
    damaged = DamagedStore(lab.clock)
    for stream in lab.event_store.stream_ids():
        events = [r.event for r in lab.event_store.read_stream(stream)]
        damaged.append(stream, events, expected_version=0)
    with pytest.raises(
        TypeError,
        match="Order .* cannot apply dict: its stream holds something that is not a DomainEvent",
    ):
        asyncio.run(EventSourcedRepository(damaged, Order).get(ids[1]))


def test_a_healthy_lab_has_no_dead_letter_table_and_an_unknown_policy_is_refused(lab):
    three_orders(lab)
    lab.catch_up()
    assert "projector_dead_letters" not in lab.read_db.tables()
    assert lab.projector.dead_letters.frame().empty
    with pytest.raises(ValueError, match="dead_letter_policy must be one of"):
        build_lab(dead_letter_policy="ignore")
