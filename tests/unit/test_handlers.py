"""Order handlers check before they save: a rejected command changes nothing anywhere."""

import pytest

from cqrs_lab.orders import (
    ADA,
    DEMO_ADDRESS,
    CancelOrder,
    CreateOrder,
    InsufficientInventoryError,
    InvalidOperationError,
    OrderNotFoundError,
    ShipOrder,
    UnknownCustomerError,
    UnknownProductError,
    created_order_id,
)
from tests.builders import armchair_and_keyboards, snapshot

GHOST = "00000000-0000-4000-8000-00000000dead"


def order_of(*lines, customer_id=ADA):
    items = [{"product_id": p, "quantity": q} for p, q in lines]  # priced by the catalogue
    return CreateOrder(customer_id=customer_id, items=items, shipping_address=DEMO_ADDRESS)


@pytest.fixture
def busy_lab(lab):
    """A lab with one shipped order, projected, so rejections have something to disturb."""
    order_id = created_order_id(lab.dispatch(armchair_and_keyboards()))
    lab.dispatch(ShipOrder(order_id=order_id))
    lab.catch_up()
    lab.order_id = order_id
    return lab


@pytest.mark.parametrize(
    ("command", "error", "named"),
    [
        (order_of(("CRUNCHY-ARMCHAIR", 6)), InsufficientInventoryError, "CRUNCHY-ARMCHAIR"),
        (order_of(("WOBBLY-TABLE", 1)), InsufficientInventoryError, "WOBBLY-TABLE"),
        (
            order_of(("CRUNCHY-ARMCHAIR", 3), ("CRUNCHY-ARMCHAIR", 3)),
            InsufficientInventoryError,
            "requested 6, available 4",  # the busy lab's shipped order holds one
        ),
        (order_of(("FLYING-CARPET", 1)), UnknownProductError, "FLYING-CARPET"),
        (order_of(("SILENT-KEYBOARD", 1), customer_id=GHOST), UnknownCustomerError, GHOST),
        (CancelOrder(order_id=GHOST, reason="x"), OrderNotFoundError, GHOST),
        (ShipOrder(order_id=GHOST), OrderNotFoundError, GHOST),
    ],
)
def test_rejected_commands_name_the_culprit_and_leave_everything_as_it_was(
    busy_lab, command, error, named
):
    before = snapshot(busy_lab)
    with pytest.raises(error, match=named):
        busy_lab.dispatch(command)
    busy_lab.catch_up()
    assert snapshot(busy_lab) == before


def test_cancelling_a_shipped_order_is_rejected_and_changes_nothing(busy_lab):
    before = snapshot(busy_lab)
    with pytest.raises(InvalidOperationError, match="Cannot cancel shipped order"):
        busy_lab.dispatch(CancelOrder(order_id=busy_lab.order_id, reason="too late"))
    busy_lab.catch_up()
    assert snapshot(busy_lab) == before


def test_insufficient_inventory_carries_product_and_quantities(lab):
    with pytest.raises(InsufficientInventoryError) as caught:
        lab.dispatch(order_of(("CRUNCHY-ARMCHAIR", 9)))
    assert (caught.value.product_id, caught.value.requested, caught.value.available) == (
        "CRUNCHY-ARMCHAIR",
        9,
        5,
    )


def test_cancel_and_ship_append_one_event_each(lab):
    first = created_order_id(lab.dispatch(armchair_and_keyboards()))
    second = created_order_id(lab.dispatch(armchair_and_keyboards()))
    [cancelled] = lab.dispatch(CancelOrder(order_id=first, reason="duplicate"))
    [shipped] = lab.dispatch(ShipOrder(order_id=second))
    assert (cancelled.reason, cancelled.version, shipped.version) == ("duplicate", 4, 4)
    assert lab.event_store.head == 8
