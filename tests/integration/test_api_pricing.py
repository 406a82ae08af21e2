"""The HTTP API prices orders from the catalogue and takes their stock (issue 15)."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from cqrs_lab.api import create_app  # noqa: E402
from cqrs_lab.orders import ADA, DEMO_ADDRESS, build_lab  # noqa: E402

ORDERS = "/api/v1/orders"


def body(**line):
    line = {"product_id": "CRUNCHY-ARMCHAIR", "quantity": 1, **line}
    return {"customer_id": str(ADA), "items": [line], "shipping_address": DEMO_ADDRESS.model_dump()}


@pytest.fixture
def lab():
    return build_lab(seed=1)


@pytest.fixture
def client(lab):
    with TestClient(create_app(lab)) as client:
        yield client


def test_a_line_without_a_price_is_charged_the_catalogue_price(lab, client):
    response = client.post(ORDERS, json=body(quantity=2))
    assert response.status_code == 201, response.text
    assert lab.event_store.read_all()[-1].event.unit_price == 249.00


def test_a_client_chosen_price_is_refused_naming_product_sent_and_catalogue_price(lab, client):
    response = client.post(ORDERS, json=body(unit_price=1.0))
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "price of CRUNCHY-ARMCHAIR is 249.00 in the catalogue, the order sent 1.00"
    )
    assert lab.event_store.head == 0


def test_the_api_never_sells_more_than_is_in_stock(lab, client):
    assert client.post(ORDERS, json=body(quantity=5)).status_code == 201
    refused = client.post(ORDERS, json=body(quantity=1))
    assert refused.status_code == 400
    assert "requested 1, available 0" in refused.json()["detail"]
    assert lab.inventory.stock_of("CRUNCHY-ARMCHAIR") == 0


def test_the_openapi_examples_send_no_price():
    from cqrs_lab.api.schemas import CREATE_ORDER_EXAMPLES

    for example in CREATE_ORDER_EXAMPLES.values():
        assert all("unit_price" not in line for line in example["value"]["items"])


def test_a_product_without_a_list_price_is_refused_not_sold_at_the_clients_price():
    lab = build_lab(seed=2, stock={"MYSTERY-BOX": 3})
    with TestClient(create_app(lab)) as client:
        response = client.post(ORDERS, json=body(product_id="MYSTERY-BOX", unit_price=1.0))
    assert response.status_code == 400
    assert response.json()["error"] == "UnpricedProductError"
    assert "'MYSTERY-BOX' has no list price" in response.json()["detail"]
    assert lab.event_store.head == 0
