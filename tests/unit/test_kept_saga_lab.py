"""A saga lab kept in a folder (``build_lab(path=..., saga=True)``) survives a rebuild of
the lab object: stock, saga progress and orders come back, and nothing is reserved twice."""

import pytest

from cqrs_lab import FaultPlan, InjectedCrash
from cqrs_lab.orders import build_lab
from tests.unit.test_fulfilment_saga import ARMCHAIR, LAMP, place, status


def kinds(lab):
    """The log by stream and type (ids of a reopened lab's own orders differ, not these)."""
    return [(r.stream_id, r.version, r.type) for r in lab.event_store.read_all()]


def fulfilment(lab):
    return lab.read_model("order_fulfilment").set_index("order_id")["status"].to_dict()


@pytest.fixture
def clean():
    """The same two orders in a lab that is never closed: what the kept lab must end as."""
    lab = build_lab(seed=30, saga=True, batch_size=1)
    first, second = place(lab, (ARMCHAIR, 2), (LAMP, 1)), place(lab, (ARMCHAIR, 4))
    lab.catch_up()
    return lab, first, second


def test_a_rebuilt_lab_finishes_the_saga_it_was_in_the_middle_of(tmp_path, clean):
    lab = build_lab(path=tmp_path, seed=30, saga=True, batch_size=1)
    first, second = place(lab, (ARMCHAIR, 2), (LAMP, 1)), place(lab, (ARMCHAIR, 4))
    lab.projector.step(8)  # both lamps' and the first armchairs' ReserveStock sent
    progress = lab.projector.checkpoints()["order_fulfilment"]
    free = lab.inventory.all()
    lab.close()

    again = build_lab(path=tmp_path, seed=30, saga=True, batch_size=1)
    assert again.projector.checkpoints()["order_fulfilment"] == progress == 8
    assert again.inventory.all() == free and free[ARMCHAIR] == 3  # reserved stays reserved
    assert fulfilment(again)[first] == "reserving"
    again.catch_up()
    clean_lab, *_ = clean
    assert (status(again, first), status(again, second)) == ("confirmed", "declined")
    assert kinds(again) == kinds(clean_lab) and again.inventory.all() == clean_lab.inventory.all()
    sent = again.projector.projections["order_fulfilment"].sent
    assert [type(s.command).__name__ for s in sent] == [
        "ReserveStock",
        "ConfirmOrder",
        "DeclineOrder",
    ]
    again.close()


def test_a_crash_before_the_checkpoint_then_a_rebuild_never_reserves_twice(tmp_path, clean):
    lab = build_lab(path=tmp_path, seed=30, saga=True, batch_size=1)
    place(lab, (ARMCHAIR, 2), (LAMP, 1))
    place(lab, (ARMCHAIR, 4))
    lab.projector.step(5)  # the four StockAdded and the first OrderCreated
    lab.projector.faults = FaultPlan(crash_before_commit=1)
    with pytest.raises(InjectedCrash):  # ReserveStock stored, the saga's checkpoint not
        lab.catch_up()
    reserved = lab.event_store.head
    lab.close()  # the process is gone, and with it the bus's memory of that command

    again = build_lab(path=tmp_path, seed=30, saga=True, batch_size=1)
    assert again.projector.checkpoints()["order_fulfilment"] == 5
    again.catch_up()
    redone = again.projector.projections["order_fulfilment"].sent[0]
    assert redone.outcome == "resend"  # the store refused the command id a second time
    clean_lab, *_ = clean
    assert again.event_store.head > reserved
    assert kinds(again) == kinds(clean_lab)
    assert again.inventory.all() == clean_lab.inventory.all()
    again.close()


def test_a_rebuilt_lab_places_new_orders_on_what_is_left(tmp_path):
    lab = build_lab(path=tmp_path, seed=31, saga=True)
    place(lab, (ARMCHAIR, 4))
    lab.catch_up()
    lab.close()
    again = build_lab(path=tmp_path, seed=31, saga=True)
    late = place(again, (ARMCHAIR, 2))
    again.catch_up()
    assert status(again, late) == "declined" and again.inventory.stock_of(ARMCHAIR) == 1
    again.close()
