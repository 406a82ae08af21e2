"""The projection stepper: any range of events, one at a time, each row change as a diff."""

import re

import pytest

from cqrs_lab import Projection, Table, read_models_as_of
from cqrs_lab.breaking.damage import tamper_event
from cqrs_lab.orders import CancelOrder, OrderCreated, OrderItemAdded
from cqrs_lab.presentation import projection_replay
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


@pytest.fixture
def small_copies(monkeypatch):
    """Saved copies every 2 events near the end of a fold, every 4 kept, at most 3 near:
    a dozen events cross every case (restores back and forward, copies dropped)."""
    for name, value in {
        "NEAR_EVERY": 2,
        "SNAPSHOT_EVERY": 4,
        "NEAR_SPAN": 6,
        "NEAR_KEPT": 3,
    }.items():
        monkeypatch.setattr(f"cqrs_lab.presentation.projection_replay.{name}", value)


def as_of(lab, position):
    """Every table's rows as of ``position`` by time travel, as text by key."""
    con = read_models_as_of(lab.event_store, lab.projector.projections.values(), position)
    keys = {"order_summary": "id", "customer_stats": "customer_id"}
    keys["customer_stats_orders"] = "order_id"
    return {
        (table, str(row[key])): tuple(map(str, row.values()))
        for table, key in keys.items()
        for row in con.table(table).astype(str).to_dict("records")
    }


def expected_changes(lab, position):
    """(table, key, kind) of every row time travel shows changed by the event."""
    before, after = as_of(lab, position - 1), as_of(lab, position)
    changed = {
        (*k, "changed" if k in before else "inserted") for k in after if before.get(k) != after[k]
    }
    return changed | {(*k, "deleted") for k in before if k not in after}


def test_every_step_back_and_jump_shows_what_time_travel_shows(lab, small_copies):
    three_orders(lab)
    orders = lab.event_store.stream_ids()
    lab.dispatch(CancelOrder(order_id=orders[1], reason="changed my mind"))
    lab.dispatch(armchair_and_keyboards())  # positions 11-13
    replay = Replay(lab.event_store, lab.projector.projections.values())
    for position in [13, *range(12, 0, -1), 7, 2, 12, 5, 13, 10]:
        result = replay.apply(position)
        shown = {(c.table, str(c.key), c.kind) for c in result.changes}
        assert not result.error
        assert shown == expected_changes(lab, position), position
        # Rolled back, not undone: the tables stay at a saved copy before the event.
        assert replay.position == result.folded_from < position
        assert replay.position in replay.snapshots
    assert len(replay.snapshots - {0, 4, 8, 12}) <= 3  # near copies dropped, oldest first


def test_a_step_back_reads_only_the_rows_its_event_touched(lab, small_copies, monkeypatch):
    three_orders(lab)
    replay = Replay(lab.event_store, lab.projector.projections.values())
    replay.apply(9)
    read = []
    real_rows_of = projection_replay.rows_of
    monkeypatch.setattr(
        projection_replay,
        "rows_of",
        lambda con, schema, table, keys, **kw: (
            read.append(keys) or real_rows_of(con, schema, table, keys, **kw)
        ),
    )
    result = replay.apply(8)  # OrderItemAdded: one order, its customer, the lookup row
    assert result.travelled and len(result.changes) == 3
    assert read and all(keys is not None and len(keys) == 1 for keys in read)


class OrderIds(Projection):
    """A projection that writes its own SQL (no engine base class): compared whole."""

    name = "order_ids"
    tables = (Table("order_ids", "id", {"id": "UUID", "lines": "INTEGER"}),)
    handles = (OrderCreated, OrderItemAdded)

    def apply_batch(self, con, batch):
        for recorded in batch:
            if isinstance(recorded.event, OrderCreated):
                con.execute("INSERT INTO order_ids VALUES (?, 0)", [recorded.event.order_id])
            else:
                con.execute(
                    "UPDATE order_ids SET lines = lines + 1 WHERE id = ?", [recorded.event.order_id]
                )


def test_a_projection_writing_its_own_sql_is_stepped_and_compared_whole(lab, small_copies):
    first = three_orders(lab)[0]
    replay = Replay(lab.event_store, [OrderIds()])
    [change] = replay.apply(9).changes
    assert (change.kind, change.before["lines"], change.after["lines"]) == ("changed", 1, 2)
    [change] = replay.apply(1).changes  # back: folded again from the empty copy
    assert (change.kind, change.key, change.after) == ("inserted", first, {"id": first, "lines": 0})


def test_a_damaged_event_shows_its_error_and_the_steps_before_it_still_work(lab):
    three_orders(lab)
    tamper_event(lab.event_store, 5, {"order_id": "?", "quantity": 1})
    replay = Replay(lab.event_store, lab.projector.projections.values())
    assert "position 5" in replay.apply(6).error
    assert "position 5" in replay.apply(5).error
    assert not replay.apply(4).error and len(replay.apply(4).changes) == 3


def test_the_result_and_the_diff_alone_are_there_for_a_notebook(stepper):
    stepper.jump(2)
    assert stepper.result.position == 2 and len(stepper.result.changes) == 3
    assert stepper.changes_html.startswith('<div class="cqrs-step-diff">')
    assert stepper.changes_html in stepper.html


def test_a_damaged_event_below_the_next_saved_copy_is_shown_not_raised(lab, small_copies):
    three_orders(lab)
    tamper_event(lab.event_store, 5, {"order_id": "?", "quantity": 1})
    replay = Replay(lab.event_store, lab.projector.projections.values())
    assert "position 5" in replay.apply(9).error  # its base (8) cannot be committed either
    assert not replay.apply(3).error
