"""Read models as of any position equal what incremental projection showed back then."""

import pytest

from cqrs_lab.orders import CancelOrder, created_order_id
from tests.builders import armchair_and_keyboards


def test_as_of_each_position_matches_the_live_tables_at_that_moment(lab):
    seen = {}
    order_id = created_order_id(lab.dispatch(armchair_and_keyboards()))
    lab.dispatch(CancelOrder(order_id=order_id, reason="x"))
    while lab.projector.step():
        seen[lab.projector.position] = lab.read_model("order_summary")
    for position, live in seen.items():
        assert lab.read_model_as_of("order_summary", position).equals(live), position
    assert lab.read_model_as_of("order_summary", 0).empty
    assert lab.read_model_as_of("customer_stats", 3).total_spent.tolist() == [428.0]


def test_time_travel_leaves_the_live_lab_alone_and_checks_the_position(lab):
    lab.dispatch(armchair_and_keyboards())
    lab.read_model_as_of("order_summary", 3)
    assert lab.projector.position == 0 and lab.read_model("order_summary").empty
    with pytest.raises(ValueError, match="between 0 and 3"):
        lab.read_model_as_of("order_summary", 4)
