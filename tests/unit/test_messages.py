"""Commands, events and queries are immutable, validated, and name the field at fault."""

from uuid import UUID

import pytest
from pydantic import ValidationError

from cqrs_lab import SimulatedClock
from cqrs_lab.orders import (
    ADA,
    DEMO_ADDRESS,
    CancelOrder,
    CreateOrder,
    GetOrdersByCustomer,
    OrderItem,
)
from cqrs_lab.time_and_ids.ids import SeededIds
from tests.builders import armchair_and_keyboards


def test_a_command_has_no_id_or_time_until_a_lab_sends_it_then_carries_the_labs():
    from cqrs_lab.orders import build_lab

    lab = build_lab(seed=7)
    lab.clock.advance(90)
    command = armchair_and_keyboards()
    assert (command.command_id, command.timestamp, command.user_id) == (None, None, None)
    lab.dispatch(command)
    assert command.timestamp == lab.clock.now()
    assert command.command_id == SeededIds(7).new_id()  # the lab's first id
    stamped = command.command_id
    lab.clock.advance(5)
    lab.dispatch(command)  # a resend: stamped once, never again
    assert command.command_id == stamped and lab.command_bus.resends == 1


def test_a_command_given_its_id_and_time_keeps_them():
    from cqrs_lab.orders import build_lab

    lab, sent_at = build_lab(seed=7), SimulatedClock().advance(3600)
    given = UUID("00000000-0000-4000-8000-000000000001")
    command = armchair_and_keyboards().model_copy(
        update={"command_id": given, "timestamp": sent_at}
    )
    lab.dispatch(command)
    assert (command.command_id, command.timestamp) == (given, sent_at)


ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


def test_command_ids_repeat_from_run_to_run():
    import subprocess
    import sys

    script = (
        "from cqrs_lab.orders import build_lab; from tests.builders import armchair_and_keyboards\n"
        "lab = build_lab(seed=3); commands = [armchair_and_keyboards() for _ in range(3)]\n"
        "for command in commands: lab.dispatch(command)\n"
        "print([str(command.command_id) for command in commands])"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        ).stdout
        for _ in range(2)
    ]
    assert runs[0] == runs[1] and runs[0].count("-") == 12


def test_two_labs_with_one_seed_never_share_a_command_id():
    from cqrs_lab.orders import build_lab

    first = build_lab(seed=1)
    first.dispatch(armchair_and_keyboards())
    build_lab(seed=1)  # a second lab, e.g. for a side-by-side comparison
    first.dispatch(armchair_and_keyboards())  # a new order for the first lab
    assert len(first.event_store.stream_ids()) == 2 and first.command_bus.resends == 0


def test_commands_are_immutable():
    command = armchair_and_keyboards()
    with pytest.raises(ValidationError, match="frozen"):
        command.customer_id = UUID(int=0)


def _field_of(error: ValidationError) -> str:
    return ".".join(str(part) for part in error.errors()[0]["loc"])


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([], "items"),
        ([{"product_id": "SILENT-KEYBOARD", "quantity": 0, "unit_price": 1.0}], "items.0.quantity"),
        (
            [{"product_id": "SILENT-KEYBOARD", "quantity": 1, "unit_price": -1.0}],
            "items.0.unit_price",
        ),
        ([{"product_id": "", "quantity": 1, "unit_price": 1.0}], "items.0.product_id"),
        (
            [{"product_id": "SILENT-KEYBOARD", "quantity": "two", "unit_price": 1.0}],
            "items.0.quantity",
        ),
    ],
)
def test_malformed_items_are_rejected_naming_the_field(items, field):
    with pytest.raises(ValidationError) as caught:
        CreateOrder(customer_id=ADA, items=items, shipping_address=DEMO_ADDRESS)
    assert _field_of(caught.value) == field


def test_a_customer_id_of_the_wrong_type_names_customer_id():
    with pytest.raises(ValidationError) as caught:
        CreateOrder(
            customer_id="ada",
            items=[OrderItem(product_id="X", quantity=1, unit_price=1)],
            shipping_address=DEMO_ADDRESS,
        )
    assert _field_of(caught.value) == "customer_id"


def test_unknown_fields_are_an_error_not_silently_dropped():
    with pytest.raises(ValidationError) as caught:
        CancelOrder(order_id=ADA, reason="x", resaon="typo")
    assert _field_of(caught.value) == "resaon"


@pytest.mark.parametrize(
    ("page", "page_size", "field"), [(0, 20, "page"), (1, 0, "page_size"), (1, 101, "page_size")]
)
def test_paging_is_validated(page, page_size, field):
    with pytest.raises(ValidationError) as caught:
        GetOrdersByCustomer(customer_id=ADA, page=page, page_size=page_size)
    assert _field_of(caught.value) == field


def test_stored_events_share_their_field_name_sets_and_their_addresses_sets():
    from cqrs_lab.orders import build_lab, created_order_id
    from cqrs_lab.orders.catalogue import DEMO_ADDRESS

    lab = build_lab()
    for _ in range(2):
        command = armchair_and_keyboards()
        lab.dispatch(command.model_copy(update={"shipping_address": DEMO_ADDRESS.model_copy()}))
    first, second = (r.event for r in lab.event_store.read_all() if r.version == 1)
    assert created_order_id([first]) != created_order_id([second])
    assert first.__pydantic_fields_set__ is second.__pydantic_fields_set__
    assert first.shipping_address is not second.shipping_address
    assert (
        first.shipping_address.__pydantic_fields_set__
        is second.shipping_address.__pydantic_fields_set__
    )
    assert second.shipping_address.model_fields_set == {"street", "city", "postal_code", "country"}
