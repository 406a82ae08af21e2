"""The order-fulfilment saga: reserve, confirm or decline with compensation, exactly once in effect."""

import pytest

from cqrs_lab import FaultPlan, InjectedCrash
from cqrs_lab.orders import (
    ADA,
    DEMO_ADDRESS,
    CancelOrder,
    CreateOrder,
    GetOrderById,
    build_lab,
    created_order_id,
)
from cqrs_lab.read_side.process_manager import command_id_for

ARMCHAIR, LAMP = "CRUNCHY-ARMCHAIR", "MIDNIGHT-LAMP"


def order(*lines):
    return CreateOrder(
        customer_id=ADA,
        items=[{"product_id": p, "quantity": q} for p, q in lines],
        shipping_address=DEMO_ADDRESS,
    )


def place(lab, *lines):
    return created_order_id(lab.dispatch(order(*lines)))


def status(lab, order_id):
    return lab.query(GetOrderById(order_id=order_id)).status


def history(lab):
    """What the write side holds: each event's stream, version and type, in order."""
    return [(r.stream_id, r.version, r.type) for r in lab.event_store.read_all()]


def run_until_done(lab):
    """Catch up, restarting after every injected crash, as a supervisor would."""
    while True:
        try:
            return lab.catch_up()
        except InjectedCrash:
            continue


class TestHappyAndUnhappyPaths:
    def test_an_order_whose_lines_are_all_reserved_is_confirmed(self):
        lab = build_lab(seed=1, saga=True)
        order_id = place(lab, (ARMCHAIR, 2), (LAMP, 1))
        assert lab.inventory.stock_of(ARMCHAIR) == 5  # placed, nothing reserved yet
        lab.catch_up()
        assert status(lab, order_id) == "confirmed"
        assert (lab.inventory.stock_of(ARMCHAIR), lab.inventory.stock_of(LAMP)) == (3, 11)

    def test_a_refused_line_declines_the_order_and_releases_what_was_reserved(self):
        lab = build_lab(seed=2, saga=True)
        order_id = place(lab, (LAMP, 4), (ARMCHAIR, 9))
        lab.catch_up()
        assert status(lab, order_id) == "declined"
        assert lab.inventory.all() == lab.catalogue.stock  # the lamps went back
        types = [t for _, _, t in history(lab)]
        assert types[-3:] == ["StockReservationRefused", "StockReleased", "OrderDeclined"]

    def test_two_orders_racing_for_the_last_armchairs_one_wins(self):
        lab = build_lab(seed=3, saga=True)
        first, second = place(lab, (ARMCHAIR, 3)), place(lab, (ARMCHAIR, 3))
        lab.catch_up()
        assert (status(lab, first), status(lab, second)) == ("confirmed", "declined")
        assert lab.inventory.stock_of(ARMCHAIR) == 2

    def test_cancelling_a_confirmed_order_gives_its_stock_back(self):
        lab = build_lab(seed=4, saga=True)
        order_id = place(lab, (ARMCHAIR, 5))
        lab.catch_up()
        lab.dispatch(CancelOrder(order_id=order_id, reason="too many chairs"))
        lab.catch_up()
        assert lab.inventory.stock_of(ARMCHAIR) == 5

    def test_a_cancel_before_the_saga_ran_is_not_undone_by_a_late_confirm(self):
        lab = build_lab(seed=5, saga=True)
        order_id = place(lab, (ARMCHAIR, 1))
        lab.dispatch(CancelOrder(order_id=order_id, reason="quick change of mind"))
        lab.catch_up()
        assert status(lab, order_id) == "cancelled"
        assert lab.inventory.stock_of(ARMCHAIR) == 5
        saga = lab.projector.projections["order_fulfilment"]
        sent = [(type(s.command).__name__, s.outcome) for s in saga.sent]
        assert sent == [("ReserveStock", "done"), ("ReleaseStock", "done")]

    def test_an_inline_lab_runs_the_saga_within_the_dispatch(self):
        lab = build_lab(seed=9, saga=True, consistency="inline")
        order_id = place(lab, (ARMCHAIR, 2))
        assert lab.projection_errors == []  # no catch-up started inside another
        assert status(lab, order_id) == "confirmed" and lab.lag().events_behind == 0
        lab.dispatch(CancelOrder(order_id=order_id, reason="inline"))
        assert lab.catch_up() == 0 and lab.inventory.stock_of(ARMCHAIR) == 5


class TestExactlyOnceInEffect:
    def test_command_ids_are_derived_from_the_event_and_the_command(self):
        lab = build_lab(seed=6, saga=True)
        place(lab, (ARMCHAIR, 1))
        lab.catch_up()
        sent = lab.projector.projections["order_fulfilment"].sent[0]
        item_added = lab.event_store.read_all()[5].event  # after 4 StockAdded and OrderCreated
        assert sent.command.command_id == command_id_for(
            "order_fulfilment", item_added, sent.command
        )

    def test_a_crash_after_sending_before_the_checkpoint_never_reserves_twice(self):
        clean, crashing = (build_lab(seed=7, saga=True, batch_size=1) for _ in "ab")
        for lab in (clean, crashing):
            place(lab, (ARMCHAIR, 2), (LAMP, 1))
            place(lab, (ARMCHAIR, 4))
        clean.catch_up()
        crashing.projector.step(5)  # four StockAdded and the first OrderCreated
        crashing.projector.faults = FaultPlan(crash_before_commit=1)
        with pytest.raises(InjectedCrash):  # ReserveStock sent, then the process died
            crashing.catch_up()
        assert crashing.projector.checkpoints()["order_fulfilment"] == 5
        run_until_done(crashing)
        saga = crashing.projector.projections["order_fulfilment"]
        first, again = saga.sent[0], saga.sent[1]
        assert first.command == again.command and (first.outcome, again.outcome) == (
            "done",
            "resend",
        )
        assert history(crashing) == history(clean)  # one reservation, not two
        assert crashing.inventory.all() == clean.inventory.all()

    def test_replaying_the_saga_from_the_start_sends_every_command_again_and_changes_nothing(self):
        lab = build_lab(seed=8, saga=True)
        place(lab, (ARMCHAIR, 2))
        place(lab, (ARMCHAIR, 4), (LAMP, 1))
        lab.catch_up()
        before, stock = history(lab), lab.inventory.all()
        saga = lab.projector.projections["order_fulfilment"]
        sent = len(saga.sent)
        lab.projector.rebuild(["order_fulfilment"])
        assert history(lab) == before and lab.inventory.all() == stock
        assert [s.outcome for s in saga.sent[sent:]] == ["resend"] * sent
