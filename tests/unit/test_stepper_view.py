"""The projection stepper: any range of events, one at a time, each row change as a diff."""

import re

import pytest

from cqrs_lab.orders import CancelOrder
from cqrs_lab.presentation.projection_replay import Replay, RowChange
from cqrs_lab.presentation.stepper_render import DIFF_COLOURS, render_changes
from cqrs_lab.presentation.stepper_view import ProjectionStepper
from tests.builders import armchair_and_keyboards, three_orders


@pytest.fixture
def stepper(lab):
    orders = three_orders(lab)  # positions 1-3, 4-6, 7-9
    lab.dispatch(CancelOrder(order_id=orders[0], reason="changed my mind"))  # position 10
    return ProjectionStepper(lab)


def diff_rows(stepper, kind):
    return re.findall(rf'<tr class="cqrs-diff-{kind}" data-key="([^"]+)"', stepper.html)


def test_an_order_created_inserts_green_rows(stepper):
    assert stepper.position == 1
    assert 'data-type="OrderCreated"' in stepper.html
    assert len(diff_rows(stepper, "inserted")) == 3  # order_summary, customer_stats, lookup
    assert f"background:{DIFF_COLOURS['inserted']}" in stepper.html


def test_an_item_changes_rows_yellow_showing_the_old_value(stepper):
    stepper.forward_button.click()
    assert stepper.position == 2
    assert len(diff_rows(stepper, "changed")) == 3  # the order, its customer, the lookup row
    assert len(diff_rows(stepper, "inserted")) == 0
    assert f"background:{DIFF_COLOURS['changed']}" in stepper.html
    assert '<s class="cqrs-old-value">0.00</s> → <b>249.00</b>' in stepper.html


def test_the_apply_that_ran_is_shown_with_its_case_marked(stepper):
    stepper.jump(2)
    assert 'data-projection="order_summary"' in stepper.html
    assert 'data-projection="customer_stats"' in stepper.html
    ran = re.findall(r'class="cqrs-code-ran"[^>]*>([^<]*)<', stepper.html)
    assert ran and all("case OrderItemAdded()" in line for line in ran)


def test_the_aggregate_after_the_event_is_replayed_up_to_its_version(stepper):
    stepper.jump_to.value = 10
    stepper.jump_button.click()
    assert 'data-type="OrderCancelled"' in stepper.html
    assert 'class="cqrs-step-aggregate" data-version="4"' in stepper.html
    assert "cancelled" in stepper.html


def test_stepping_back_travels_in_time_and_matches_the_lab_as_of_that_position(stepper, lab):
    stepper.jump(9)
    stepper.back_button.click()
    assert stepper.position == 8
    assert 'data-travelled="True"' in stepper.html
    as_of = lab.read_model_as_of("order_summary", 8).sort_values("id")
    replayed = sorted(stepper.replay.rows("order_summary"), key=lambda r: r["id"])
    assert [r["total_amount"] for r in replayed] == list(as_of.total_amount)
    stepper.forward_button.click()  # computed before: shown again, not refolded
    assert stepper.position == 9
    assert "shown again" in stepper.html


def test_scope_one_stream_steps_only_through_its_events(stepper, lab):
    second = lab.event_store.stream_ids()[1]
    stepper.scope.value = "one stream"
    stepper.stream.value = second
    assert stepper.positions == [4, 5, 6]
    stepper.forward_button.click()
    stepper.forward_button.click()
    stepper.forward_button.click()  # the end of the scope: stays on the last event
    assert stepper.position == 6


def test_scope_position_range_and_the_scrubber_and_play(stepper):
    stepper.scope.value = "position range"
    stepper.range.value = (3, 7)
    assert stepper.positions == [3, 4, 5, 6, 7]
    stepper.scrubber.value = 4
    assert stepper.position == 7
    stepper.play.value = 1  # the Play widget drives the scrubber
    assert stepper.position == 4
    assert 'data-position="4"' in stepper.html


def test_new_events_join_the_scope_after_a_refresh(stepper, lab):
    lab.dispatch(armchair_and_keyboards())
    stepper.refresh()
    assert stepper.positions[-1] == lab.event_store.head == 13


def test_deleted_rows_are_red_with_their_last_values():
    html = render_changes([RowChange("t", 1, "deleted", {"id": 1, "n": 5}, None)])
    assert (
        f'class="cqrs-diff-deleted" data-key="1" style="background:{DIFF_COLOURS["deleted"]}"'
        in html
    )


def test_a_replay_refuses_a_position_without_an_event(lab):
    replay = Replay(lab.event_store, lab.projector.projections.values())
    with pytest.raises(ValueError, match="no event at position 0"):
        replay.apply(0)
    with pytest.raises(ValueError, match="between 0 and 0"):
        replay.move_to(3)


def test_a_step_back_from_a_saved_copy_equals_time_travel_for_every_table(lab, monkeypatch):
    monkeypatch.setattr("cqrs_lab.presentation.projection_replay.SNAPSHOT_EVERY", 3)
    three_orders(lab)
    lab.dispatch(armchair_and_keyboards())  # positions 10-12
    replay = Replay(lab.event_store, lab.projector.projections.values())
    replay.apply(12)
    assert replay.snapshots == {3, 6, 9, 12}
    result = replay.apply(8)  # back: from the copy at 6, fold 7 (then 8 for the diff)
    assert result.travelled
    checked = {
        "order_summary": ("id", ["status", "total_amount", "item_count", "version"]),
        "customer_stats": ("customer_id", ["order_count", "cancelled_count", "total_spent"]),
        "customer_stats_orders": ("order_id", ["amount", "cancelled"]),
    }
    for table, (key, columns) in checked.items():
        as_of = lab.read_model_as_of(table, 8).sort_values(key)
        replayed = sorted(replay.rows(table), key=lambda r: r[key])
        assert [r[key] for r in replayed] == list(as_of[key])
        for column in columns:
            assert [r[column] for r in replayed] == list(as_of[column]), (table, column)
