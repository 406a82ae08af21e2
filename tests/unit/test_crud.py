"""The CRUD twin: same rules and errors as the lab, reads its writes, keeps no history."""

import inspect

import pytest

from cqrs_lab.orders import (
    ADA,
    DEMO_CUSTOMERS,
    DEMO_STOCK,
    CrudOrders,
    InsufficientInventoryError,
    InvalidOperationError,
    OrderItem,
    OrderNotFoundError,
    UnknownCustomerError,
    UnknownProductError,
    code_size,
)
from tests.builders import armchair_and_keyboards


@pytest.fixture
def crud():
    return CrudOrders(DEMO_CUSTOMERS, DEMO_STOCK, seed=1)


def place(crud, command=None):
    command = command or armchair_and_keyboards()
    return crud.place_order(command.customer_id, command.items)


def test_a_placed_order_is_readable_at_once_with_its_total(crud):
    order_id = place(crud)
    assert crud.order_total(order_id) == 428.0
    row = crud.order(order_id)
    assert (row["customer_name"], row["status"], row["item_count"]) == (
        "Ada Lovelace",
        "pending",
        2,
    )


def test_cancel_overwrites_the_status_in_the_one_row(crud):
    order_id = place(crud)
    crud.cancel_order(order_id, "changed my mind")
    assert crud.order(order_id)["status"] == "cancelled"
    assert len(crud.table()) == 1
    assert crud.order_total(order_id) == 428.0


def test_cannot_cancel_an_order_twice(crud):
    order_id = place(crud)
    crud.cancel_order(order_id, "once")
    with pytest.raises(InvalidOperationError, match="cancelled"):
        crud.cancel_order(order_id, "twice")
    assert crud.order(order_id)["cancel_reason"] == "once"


def test_unknown_order_customer_and_product_are_named_and_change_nothing(crud):
    missing = crud.ids.new_id()
    with pytest.raises(OrderNotFoundError, match=str(missing)):
        crud.order_total(missing)
    stranger = crud.ids.new_id()
    with pytest.raises(UnknownCustomerError, match=str(stranger)):
        crud.place_order(stranger, armchair_and_keyboards().items)
    with pytest.raises(UnknownProductError, match="FLYING-CARPET"):
        crud.place_order(ADA, [OrderItem(product_id="FLYING-CARPET", quantity=1, unit_price=1)])
    assert crud.table().empty


def test_more_than_the_stock_is_refused(crud):
    item = OrderItem(product_id="CRUNCHY-ARMCHAIR", quantity=6, unit_price=249.0)
    with pytest.raises(InsufficientInventoryError, match="CRUNCHY-ARMCHAIR"):
        crud.place_order(ADA, [item])
    assert crud.table().empty


def test_same_seed_gives_the_same_order_ids():
    first, second = CrudOrders(DEMO_CUSTOMERS, DEMO_STOCK), CrudOrders(DEMO_CUSTOMERS, DEMO_STOCK)
    assert place(first) == place(second)


def test_code_size_counts_each_side_from_its_source():
    sizes = code_size()
    assert set(sizes.side) == {"CRUD", "CQRS"}
    crud_lines = sizes[sizes.side == "CRUD"].lines.sum()
    cqrs_feature = sizes[(sizes.side == "CQRS") & (sizes.kind == "feature")].lines.sum()
    assert crud_lines == len(inspect.getsource(CrudOrders).splitlines())
    assert cqrs_feature > crud_lines
    assert (sizes.lines > 0).all()
