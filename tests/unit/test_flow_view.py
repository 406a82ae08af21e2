"""The flow view: a command travels one stage per step, from button to read-model row."""

import re

import pytest
from pydantic import ValidationError

from cqrs_lab import FaultPlan
from cqrs_lab.messaging.registry import NoHandlerFoundError
from cqrs_lab.orders import (
    InsufficientInventoryError,
    InvalidOperationError,
    OrderNotFoundError,
    build_lab,
)
from cqrs_lab.presentation import flow_tokens as flow
from cqrs_lab.presentation.flow_view import FlowView, refusing_stage
from cqrs_lab.write_side.event_store import ConcurrencyError

TOKEN = re.compile(
    r'data-token="(\d+)" data-kind="(\w+)" data-status="(\w+)" data-stage="([\w ]+)"'
)


def tokens(view):
    """(kind, status, stage) of every token drawn, in drawing order."""
    return [(kind, status, stage) for _, kind, status, stage in TOKEN.findall(view.html)]


def stage_count(view, stage):
    match = re.search(rf'data-stage="{stage}">.*?class="cqrs-stage-count"[^>]*>([^<]*)<', view.html)
    return match.group(1)


@pytest.fixture
def view():
    return FlowView(build_lab())


def test_a_create_order_walks_the_write_path_one_stage_per_step(view):
    view.send_button.click()
    assert tokens(view) == [("command", "moving", "command")]
    stages = []
    for _ in range(3):
        view.step_button.click()
        stages.append(tokens(view)[0][2])
    assert stages == ["bus", "handler", "aggregate"]


def test_in_the_store_it_becomes_its_events_which_wait_then_land_as_rows(view):
    view.send()
    for _ in range(4):
        view.step()
    assert tokens(view) == [("event", "waiting", "event store")] * 2  # OrderCreated + 1 item
    assert stage_count(view, "event store") == "head 2"
    assert 'data-lag="2"' in view.html
    view.step()  # the projector takes the first event
    assert ("event", "moving", "projector") in tokens(view)
    assert stage_count(view, "projector") == "at 1"
    view.step()  # it lands in both read models; the projector takes the second
    assert tokens(view).count(("row", "landed", "order_summary")) == 1
    assert tokens(view).count(("row", "landed", "customer_stats")) == 1
    view.step()
    assert stage_count(view, "order_summary") == "1 rows · @2"
    assert 'data-lag="0"' in view.html
    assert "OrderItemAdded @2 landed in" in view.html


def test_a_refused_command_stops_red_at_the_handler_with_its_error(view):
    view.refuse_button.click()
    for _ in range(5):
        view.step_button.click()
    assert tokens(view) == [("command", "rejected", "handler")]
    assert 'class="cqrs-flow-error"' in view.html
    assert "InsufficientInventoryError" in view.html
    assert stage_count(view, "command") == "sent 1 · refused 1"
    assert stage_count(view, "event store") == "head 0"


def test_the_aggregate_refuses_cancelling_a_shipped_order(view):
    view.send()
    view.ship_button.click()
    view.cancel_button.click()
    for _ in range(4):
        view.step()
    assert ("command", "rejected", "aggregate") in tokens(view)
    assert "Cannot cancel shipped order" in view.html


def test_an_invalid_command_never_leaves_the_sender():
    def bad_form():
        raise ValidationError.from_exception_data("CreateOrder", [])

    view = FlowView(build_lab(), command=bad_form)
    view.send_button.click()
    assert tokens(view) == [("command", "rejected", "command")]
    view.ship_button.click()  # no order yet: refused before it is sent, too
    assert tokens(view)[-1] == ("command", "rejected", "command")


def test_with_the_projector_off_events_wait_and_the_lag_grows(view):
    view.auto_project.value = False
    view.send()
    for _ in range(8):
        view.step()
    assert tokens(view) == [("event", "waiting", "event store")] * 2
    assert stage_count(view, "projector") == "at 0"
    assert re.search(r"lag 2 ev · [1-9]\d* s", view.html)  # a step is a simulated second


def test_a_query_token_carries_the_read_models_answer(view):
    view.send()
    view.query_button.click()
    assert tokens(view)[-1] == ("query", "moving", "query")
    view.step()
    assert tokens(view)[-1] == ("query", "answered", "order_summary")
    assert "None: not projected yet" in view.html
    assert stage_count(view, "query") == "asked 1"


def test_an_event_the_projector_cannot_apply_turns_red_at_the_projector():
    view = FlowView(build_lab(faults=FaultPlan(poison={1: None})))
    view.send()
    for _ in range(5):
        view.step()
    assert ("event", "failed", "projector") in tokens(view)
    assert "projector could not apply @1" in view.html


def test_the_lab_changed_elsewhere_is_redrawn_and_the_playground_is_told():
    told = []
    lab = build_lab()
    view = FlowView(lab, on_change=lambda: told.append(1))
    view.send()
    assert told == [1]
    lab.catch_up()
    view.step()
    view.refresh()
    assert stage_count(view, "projector") == "at 2"


@pytest.mark.parametrize(
    ("error", "stage"),
    [
        (NoHandlerFoundError(object, []), "bus"),
        (InvalidOperationError("no"), "aggregate"),
        (InsufficientInventoryError("X", 2, 1), "handler"),
        (OrderNotFoundError(object, "id"), "handler"),
        (ConcurrencyError("s", 1, 2), "event store"),
    ],
)
def test_each_error_is_shown_at_the_stage_that_raises_it(error, stage):
    assert refusing_stage(error) == stage


def test_tokens_refuse_an_unknown_stage():
    with pytest.raises(ValueError, match="refused_at must be one of"):
        flow.send_command(flow.FlowState(), "CreateOrder", refused_at="kitchen")
