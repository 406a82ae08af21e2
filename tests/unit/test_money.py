"""Money and numbers stay finite, exact to the cent per order, and inside the read model's
column types, whatever a command or a stored event carries."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from pydantic import ValidationError

from cqrs_lab.orders import (
    ADA,
    DEMO_ADDRESS,
    GRACE,
    CancelOrder,
    CreateOrder,
    GetCustomerStats,
    GetOrderById,
    OrderItem,
    OrderItemAdded,
    build_lab,
    created_order_id,
)
from cqrs_lab.orders.values import (
    MAX_LINES_PER_ORDER,
    MAX_ORDER_TOTAL,
    MAX_QUANTITY,
    MAX_UNIT_PRICE,
)
from tests.builders import snapshot

INT32_MAX = 2**31 - 1
ORDER_ID = "00000000-0000-4000-8000-0000000000aa"


def line(quantity=1, unit_price=1.0, product_id="GOLDEN-THRONE"):
    return {"product_id": product_id, "quantity": quantity, "unit_price": unit_price}


def loc_of(error: ValidationError) -> str:
    return ".".join(str(part) for part in error.errors()[0]["loc"])


# -- the bounds, at the command -------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("unit_price", 1e308, "less than or equal to 100000"),
        ("unit_price", float("inf"), "finite number"),
        ("unit_price", float("nan"), "finite number"),
        ("unit_price", MAX_UNIT_PRICE + 0.01, "less than or equal to 100000"),
        ("unit_price", 0.001, "whole number of cents"),
        ("unit_price", 0.1 + 0.2, "whole number of cents"),
        ("unit_price", -0.01, "greater than or equal to 0"),
        ("unit_price", True, "valid number"),
        ("unit_price", "9.99", "valid number"),
        ("unit_price", 10**400, "valid number"),
        ("quantity", MAX_QUANTITY + 1, "less than or equal to 10000"),
        ("quantity", INT32_MAX + 1, "less than or equal to 10000"),
        ("quantity", True, "valid integer"),
        ("quantity", 2.0, "valid integer"),
        ("quantity", "2", "valid integer"),
        ("product_id", "X" * 201, "at most 200 characters"),
        ("product_id", "\ud800", "valid string"),
    ],
)
def test_a_line_out_of_bounds_is_refused_at_the_command_naming_the_line(field, value, message):
    # The third line is the bad one: the error names items.2, not just the field.
    items = [line(), line(), {**line(), field: value}]
    with pytest.raises(ValidationError, match=message) as caught:
        CreateOrder(customer_id=ADA, items=items, shipping_address=DEMO_ADDRESS)
    assert loc_of(caught.value) == f"items.2.{field}"


def test_the_issues_order_of_two_at_1e308_is_refused_naming_the_price():
    with pytest.raises(ValidationError) as caught:
        OrderItem(product_id="GOLDEN-THRONE", quantity=2, unit_price=1e308)
    assert loc_of(caught.value) == "unit_price"


def test_an_order_has_at_most_max_lines():
    CreateOrder(
        customer_id=ADA, items=[line()] * MAX_LINES_PER_ORDER, shipping_address=DEMO_ADDRESS
    )
    with pytest.raises(ValidationError, match="at most 100 items") as caught:
        CreateOrder(
            customer_id=ADA,
            items=[line()] * (MAX_LINES_PER_ORDER + 1),
            shipping_address=DEMO_ADDRESS,
        )
    assert loc_of(caught.value) == "items"


def test_a_cancellation_reason_and_an_address_part_have_a_length_limit():
    with pytest.raises(ValidationError) as caught:
        CancelOrder(order_id=ORDER_ID, reason="why" * 100)
    assert loc_of(caught.value) == "reason"
    with pytest.raises(ValidationError) as caught:
        DEMO_ADDRESS.model_validate({**DEMO_ADDRESS.model_dump(), "city": "Q" * 201})
    assert loc_of(caught.value) == "city"


def test_negative_zero_is_stored_as_zero():
    free = OrderItem(product_id="FLYER", quantity=3, unit_price=-0.0)
    assert str(free.unit_price) == "0.0" and str(free.subtotal) == "0.0"


def test_the_limits_themselves_are_accepted_and_the_largest_total_is_exact():
    biggest = OrderItem(
        product_id="GOLDEN-THRONE", quantity=MAX_QUANTITY, unit_price=MAX_UNIT_PRICE
    )
    assert biggest.subtotal * MAX_LINES_PER_ORDER == MAX_ORDER_TOTAL == 10**11
    assert MAX_QUANTITY <= INT32_MAX and MAX_LINES_PER_ORDER <= INT32_MAX


def test_every_order_total_within_the_bounds_rounds_to_its_exact_decimal_total():
    rng = random.Random(14)
    for _ in range(300):
        items = [
            OrderItem(
                product_id="P",
                quantity=rng.choice([1, 3, 7, MAX_QUANTITY, rng.randint(1, MAX_QUANTITY)]),
                unit_price=rng.choice(
                    [0.1, 0.29, 19.99, MAX_UNIT_PRICE, rng.randint(0, 10**7) / 100]
                ),
            )
            for _ in range(rng.randint(1, MAX_LINES_PER_ORDER))
        ]
        float_total = 0.0
        for item in items:  # summed as the projections do
            float_total += item.quantity * item.unit_price
        exact = sum(item.quantity * Decimal(repr(item.unit_price)) for item in items)
        assert Decimal(repr(round(float_total, 2))) == exact


# -- the bounds, on events from the store ----------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("unit_price", 1e308),
        ("unit_price", float("nan")),
        ("unit_price", -1.0),
        ("unit_price", 0.005),
        ("quantity", 0),
        ("quantity", MAX_QUANTITY + 1),
        ("quantity", 2**40),
    ],
)
def test_an_item_event_out_of_bounds_fails_validation(field, value):
    fields = {"order_id": ORDER_ID, "product_id": "GOLDEN-THRONE", "quantity": 1}
    fields |= {"unit_price": 1.0, "version": 2, field: value}
    with pytest.raises(ValidationError) as caught:
        OrderItemAdded(**fields)
    assert loc_of(caught.value) == field
    # A tampered copy (built without validation) is refused when checked again.
    tampered = OrderItemAdded(**{**fields, field: 1}).model_copy(update={field: value})
    with pytest.raises(ValidationError):
        OrderItemAdded.model_validate(tampered.model_dump())


# -- through the lab: the issue's history, with any batch size --------------------------------


def _lab(batch_size: int):
    return build_lab(
        seed=14,
        stock={"GOLDEN-THRONE": 10 * MAX_QUANTITY, "PAPER-CLIP": 1000},
        prices={"GOLDEN-THRONE": MAX_UNIT_PRICE, "PAPER-CLIP": 0.01},
        batch_size=batch_size,
    )


def _history(lab) -> list:
    """Ada orders the most expensive order there can be, then cancels it; Grace buys clips."""
    biggest = [line(MAX_QUANTITY, MAX_UNIT_PRICE)] * 2 + [line(1, 0.01, "PAPER-CLIP")]
    orders = []
    for customer, items in [(ADA, biggest), (GRACE, [line(3, 0.01, "PAPER-CLIP")]), (ADA, biggest)]:
        command = CreateOrder(customer_id=customer, items=items, shipping_address=DEMO_ADDRESS)
        orders.append(created_order_id(lab.dispatch(command)))
    lab.dispatch(CancelOrder(order_id=orders[0], reason="too dear"))
    return orders


@pytest.mark.parametrize("batch_size", [1, 2, 1000])
def test_the_largest_orders_project_to_finite_exact_totals_with_any_batch_size(batch_size):
    lab = _lab(batch_size)
    orders = _history(lab)
    lab.catch_up()
    placed = lab.query(GetOrderById(order_id=orders[2]))
    assert placed.total_amount == 2 * MAX_QUANTITY * MAX_UNIT_PRICE + 0.01
    ada = lab.query(GetCustomerStats(customer_id=ADA))
    assert (ada.order_count, ada.cancelled_count) == (2, 1)
    # A sum over orders is a float sum: exact once rounded to the cent (see OrderItem).
    assert round(ada.total_spent, 2) == 2 * MAX_QUANTITY * MAX_UNIT_PRICE + 0.01
    # A later catch-up still works (the issue's NULL total made every one fail).
    lab.dispatch(
        CreateOrder(
            customer_id=ADA, items=[line(1, 0.01, "PAPER-CLIP")], shipping_address=DEMO_ADDRESS
        )
    )
    lab.catch_up()
    assert lab.query(GetCustomerStats(customer_id=ADA)).order_count == 3


def test_rebuild_and_incremental_agree_on_the_largest_orders():
    lab = _lab(1)
    _history(lab)
    lab.catch_up()  # one event per transaction
    incremental = snapshot(lab)[2]
    lab.projector.rebuild()  # every event in one transaction
    assert snapshot(lab)[2] == incremental
    stats = incremental["customer_stats"]
    spent = dict(zip(stats["customer_id"], stats["total_spent"]))
    assert {c: round(s, 2) for c, s in spent.items()} == {ADA: 2 * 10**9 + 0.01, GRACE: 0.03}


def test_the_issues_order_is_refused_before_anything_is_stored():
    lab = _lab(1000)
    before = snapshot(lab)
    with pytest.raises(ValidationError):
        lab.dispatch(
            CreateOrder(
                customer_id=ADA,
                items=[line(2, 1e308)],
                shipping_address=DEMO_ADDRESS,
            )
        )
    assert snapshot(lab) == before and lab.event_store.head == 0
