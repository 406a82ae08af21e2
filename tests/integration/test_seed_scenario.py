"""The seed's scenario, written as the seed writes it, against a whole lab."""

import asyncio

import pytest

from cqrs_lab import Command, NoHandlerFoundError
from cqrs_lab.orders import (
    ADA,
    CancelOrder,
    GetOrderById,
    InvalidOperationError,
    OrderCreated,
    ShipOrder,
    build_lab,
)
from tests.builders import armchair_and_keyboards


def test_the_seeds_scenario_end_to_end():
    async def scenario():
        lab = build_lab()
        command_bus, query_bus = lab.command_bus, lab.query_bus
        events = await command_bus.dispatch(armchair_and_keyboards())
        order_id = next(e.order_id for e in events if isinstance(e, OrderCreated))
        lab.projector.catch_up()
        view = await query_bus.dispatch(GetOrderById(order_id=order_id))
        assert (view.total_amount, view.item_count, view.customer_name) == (
            428.0,
            2,
            "Ada Lovelace",
        )
        await command_bus.dispatch(ShipOrder(order_id=order_id))
        with pytest.raises(InvalidOperationError):
            await command_bus.dispatch(CancelOrder(order_id=order_id, reason="too late"))

        class UpdateOrderStatus(Command):
            order_id: str

        with pytest.raises(
            NoHandlerFoundError,
            match="UpdateOrderStatus; registered: CancelOrder, CreateOrder, ShipOrder",
        ):
            await command_bus.dispatch(UpdateOrderStatus(order_id="x"))

    asyncio.run(scenario())


def test_inline_consistency_reads_its_own_writes_and_async_does_not():
    for mode, visible in (("inline", True), ("async", False)):
        lab = build_lab(consistency=mode)
        order_id = lab.dispatch(armchair_and_keyboards())[0].order_id
        assert (lab.query(GetOrderById(order_id=order_id)) is not None) is visible, mode


def test_the_same_seed_gives_the_same_ids_times_and_tables():
    def run():
        lab = build_lab(seed=11)
        for _ in range(3):
            lab.dispatch(armchair_and_keyboards())
            lab.clock.advance(2.5)
        lab.catch_up()
        return lab.events().to_dict("list"), lab.read_model("order_summary").to_dict("list")

    assert run() == run()


def test_a_custom_catalogue_replaces_the_demo_one():
    lab = build_lab(
        customers={ADA: "Augusta Ada King"}, stock={"CRUNCHY-ARMCHAIR": 1, "SILENT-KEYBOARD": 2}
    )
    assert lab.catalogue.customers == {ADA: "Augusta Ada King"}
    lab.dispatch(armchair_and_keyboards())
    lab.catch_up()
    assert lab.read_model("order_summary").loc[0, "customer_name"] == "Augusta Ada King"


def test_build_lab_rejects_unknown_options():
    with pytest.raises(ValueError, match="consistency"):
        build_lab(consistency="eventual")
    with pytest.raises(ValueError, match="unknown read models"):
        build_lab(read_models=["orders"])


def test_the_timeline_puts_each_command_before_its_events_and_shows_rejections():
    lab = build_lab()
    order_id = lab.dispatch(armchair_and_keyboards())[0].order_id
    lab.dispatch(ShipOrder(order_id=order_id))
    with pytest.raises(InvalidOperationError):
        lab.dispatch(CancelOrder(order_id=order_id, reason="late"))
    lab.catch_up()
    frame = lab.timeline.frame()
    assert list(zip(frame.kind, frame.name)) == [
        ("command", "CreateOrder"),
        ("event", "OrderCreated"),
        ("event", "OrderItemAdded"),
        ("event", "OrderItemAdded"),
        ("command", "ShipOrder"),
        ("event", "OrderShipped"),
        ("command", "CancelOrder"),
        ("read-model", "order_summary, customer_stats"),
    ]
    assert frame.detail[6].startswith("rejected: InvalidOperationError")


def test_two_labs_in_one_process_keep_their_own_clock_for_what_handlers_create():
    first = build_lab(seed=1)
    first.clock.advance(3600)
    second = build_lab(seed=2)  # installed last: new commands take its defaults
    events = first.dispatch(armchair_and_keyboards())
    assert {e.occurred_at for e in events} == {first.clock.now()}
    assert first.clock.now() != second.clock.now()
    assert first.event_store.read_all()[0].recorded_at == first.clock.now()
