"""The HTTP API through FastAPI's TestClient: every route, every status code.

Rejected requests must leave the event store (and so every read model) unchanged.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import pytest

pytest.importorskip("fastapi")

from cqrs_lab import ConcurrencyError, FaultPlan, SystemClock  # noqa: E402
from cqrs_lab.api import app_factory, create_app  # noqa: E402
from cqrs_lab.orders import (  # noqa: E402
    ADA,
    DEMO_ADDRESS,
    GRACE,
    CreateOrder,
    CreateOrderHandler,
    GetOrderById,
    OrderCreated,
    ShipOrder,
    build_lab,
)
from cqrs_lab.time_and_ids import defaults  # noqa: E402
from tests.builders import snapshot  # noqa: E402

with warnings.catch_warnings():
    # Starlette 1.x nudges TestClient users from httpx to httpx2; httpx still works.
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient

UNKNOWN_ORDER = "00000000-0000-4000-8000-0000000000aa"
NOBODY = "00000000-0000-4000-8000-000000000bad"


def order_body(product_id="CRUNCHY-ARMCHAIR", quantity=1, customer_id=ADA, unit_price=249.0):
    return {
        "customer_id": str(customer_id),
        "items": [{"product_id": product_id, "quantity": quantity, "unit_price": unit_price}],
        "shipping_address": DEMO_ADDRESS.model_dump(),
    }


@pytest.fixture
def client(lab):
    with TestClient(create_app(lab)) as client:
        yield client


def place(client, **body) -> dict:
    response = client.post("/api/v1/orders", json=order_body(**body))
    assert response.status_code == 201, response.text
    return response.json()


def positions(response) -> tuple[int, int, int]:
    headers = response.headers
    return (
        int(headers["X-Projection-Position"]),
        int(headers["X-Event-Store-Head"]),
        int(headers["X-Events-Behind"]),
    )


# -- POST /api/v1/orders ---------------------------------------------------------------


def test_placing_an_order_answers_201_with_its_id_position_and_location(lab, client):
    response = client.post("/api/v1/orders", json=order_body())
    assert response.status_code == 201
    body = response.json()
    created = lab.event_store.read_all()[0].event
    assert isinstance(created, OrderCreated) and body["order_id"] == str(created.order_id)
    assert body["events"] == ["OrderCreated", "OrderItemAdded"]
    assert body["position"] == lab.event_store.head == 2
    assert response.headers["Location"] == f"/api/v1/orders/{body['order_id']}"


def test_the_new_order_id_comes_from_order_created_not_events_zero(lab, client):
    # Bug 5: when a handler's result starts with an item event of another order (here
    # Grace's earlier one), `events[0].order_id` names the wrong order.
    earlier_id = place(client, customer_id=GRACE)["order_id"]
    earlier_item = lab.event_store.read_all()[1].event
    real = CreateOrderHandler(lab.orders, lab.inventory, lab.customers)

    async def also_reporting_an_earlier_event(command):
        return [earlier_item, *await real.handle(command)]

    lab.command_bus.register(CreateOrder, also_reporting_an_earlier_event)
    body = place(client)
    new_created = lab.event_store.read_all()[2].event
    assert isinstance(new_created, OrderCreated)
    assert body["order_id"] == str(new_created.order_id) != earlier_id
    assert body["position"] == lab.event_store.head == 4


def test_insufficient_inventory_is_400_naming_the_product_and_writes_nothing(lab, client):
    before = snapshot(lab)
    response = client.post("/api/v1/orders", json=order_body(quantity=9))
    assert response.status_code == 400
    assert response.json() == {
        "detail": "insufficient inventory for product CRUNCHY-ARMCHAIR: requested 9, available 5",
        "error": "InsufficientInventoryError",
    }
    assert snapshot(lab) == before


@pytest.mark.parametrize(
    ("body", "error", "named"),
    [
        (order_body(product_id="FLYING-CARPET"), "UnknownProductError", "FLYING-CARPET"),
        (order_body(customer_id=NOBODY), "UnknownCustomerError", NOBODY),
    ],
)
def test_an_unknown_product_or_customer_is_400_naming_it_and_writes_nothing(
    lab, client, body, error, named
):
    before = snapshot(lab)
    response = client.post("/api/v1/orders", json=body)
    assert response.status_code == 400
    assert response.json()["error"] == error and named in response.json()["detail"]
    assert snapshot(lab) == before


def _without_address(body):
    del body["shipping_address"]
    return body


@pytest.mark.parametrize(
    ("body", "location"),
    [
        (order_body(quantity=0), ["body", "items", 0, "quantity"]),
        (order_body(quantity="many"), ["body", "items", 0, "quantity"]),
        (order_body(unit_price=-1.0), ["body", "items", 0, "unit_price"]),
        ({**order_body(), "items": []}, ["body", "items"]),
        (order_body(customer_id="ada"), ["body", "customer_id"]),
        (_without_address(order_body()), ["body", "shipping_address"]),
        ({**order_body(), "coupon": "FREE"}, ["body", "coupon"]),
    ],
    ids=[
        "quantity-0",
        "quantity-text",
        "negative-price",
        "no-items",
        "bad-id",
        "no-address",
        "extra",
    ],
)
def test_a_malformed_order_is_422_naming_the_field_and_writes_nothing(lab, client, body, location):
    before = snapshot(lab)
    response = client.post("/api/v1/orders", json=body)
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [location]
    assert snapshot(lab) == before


# -- hostile requests: every malformed one is a clear 4xx, never a 500 ---------------------


def raw_order(lines=1, bad_at=0, **bad) -> str:
    """An order body as JSON text, so a test can send what ``json.dumps`` would not write
    (``1e400``, ``NaN``, a lone surrogate escape). The line at ``bad_at`` takes the raw
    JSON values in ``bad`` (``quantity="1e400"``)."""
    good = {"product_id": '"CRUNCHY-ARMCHAIR"', "quantity": "1", "unit_price": "249.0"}
    items = [
        "{"
        + ", ".join(f'"{k}": {v}' for k, v in (good | (bad if i == bad_at else {})).items())
        + "}"
        for i in range(lines)
    ]
    address = json.dumps(DEMO_ADDRESS.model_dump())
    return (
        f'{{"customer_id": "{ADA}", "items": [{", ".join(items)}], "shipping_address": {address}}}'
    )


JSON = {"content-type": "application/json"}
ORDERS, CANCEL = "/api/v1/orders", f"/api/v1/orders/{UNKNOWN_ORDER}/cancel"
CUSTOMER_ORDERS = f"/api/v1/customers/{ADA}/orders"
HUGE = "1" + "0" * 18
#: (method, url, body text or None, headers, status, what the answer must name)
HOSTILE = {
    # Numbers JSON can write but no price or quantity may be.
    "price-1e400": ("POST", ORDERS, raw_order(unit_price="1e400"), JSON, 422, "unit_price"),
    "price-NaN": ("POST", ORDERS, raw_order(unit_price="NaN"), JSON, 422, "unit_price"),
    "price-Infinity": ("POST", ORDERS, raw_order(unit_price="Infinity"), JSON, 422, "unit_price"),
    "price--Infinity": ("POST", ORDERS, raw_order(unit_price="-Infinity"), JSON, 422, "unit_price"),
    "price-1e308": ("POST", ORDERS, raw_order(unit_price="1e308"), JSON, 422, "unit_price"),
    "price-above-max": ("POST", ORDERS, raw_order(unit_price="100000.01"), JSON, 422, "unit_price"),
    "price-sub-cent": ("POST", ORDERS, raw_order(unit_price="0.001"), JSON, 422, "unit_price"),
    "price-negative": ("POST", ORDERS, raw_order(unit_price="-0.01"), JSON, 422, "unit_price"),
    "price-true": ("POST", ORDERS, raw_order(unit_price="true"), JSON, 422, "unit_price"),
    "price-text": ("POST", ORDERS, raw_order(unit_price='"249.0"'), JSON, 422, "unit_price"),
    "price-null": ("POST", ORDERS, raw_order(unit_price="null"), JSON, 422, "unit_price"),
    "price-huge-int": ("POST", ORDERS, raw_order(unit_price="9" * 400), JSON, 422, "unit_price"),
    "quantity-1e400": ("POST", ORDERS, raw_order(quantity="1e400"), JSON, 422, "quantity"),
    "quantity-above-max": ("POST", ORDERS, raw_order(quantity="10001"), JSON, 422, "quantity"),
    "quantity-2**63": ("POST", ORDERS, raw_order(quantity=str(2**63)), JSON, 422, "quantity"),
    "quantity-true": ("POST", ORDERS, raw_order(quantity="true"), JSON, 422, "quantity"),
    "quantity-2.5": ("POST", ORDERS, raw_order(quantity="2.5"), JSON, 422, "quantity"),
    "quantity-2.0": ("POST", ORDERS, raw_order(quantity="2.0"), JSON, 422, "quantity"),
    "quantity--0.0": ("POST", ORDERS, raw_order(quantity="-0.0"), JSON, 422, "quantity"),
    "quantity-text": ("POST", ORDERS, raw_order(quantity='"2"'), JSON, 422, "quantity"),
    "third-line-quantity": (
        "POST",
        ORDERS,
        raw_order(lines=3, bad_at=2, quantity="99999"),
        JSON,
        422,
        "items.2.quantity",
    ),
    "101-lines": ("POST", ORDERS, raw_order(lines=101), JSON, 422, "items"),
    # Odd text.
    "product-id-10k-chars": (
        "POST",
        ORDERS,
        raw_order(product_id=json.dumps("X" * 10_000)),
        JSON,
        422,
        "product_id",
    ),
    "product-id-lone-surrogate": (
        "POST",
        ORDERS,
        raw_order(product_id='"\\ud800"'),
        JSON,
        422,
        "product_id",
    ),
    "product-id-NUL": (
        "POST",
        ORDERS,
        raw_order(product_id='"ARM\\u0000CHAIR"'),
        JSON,
        400,
        r"ARM\x00CHAIR",
    ),
    "product-id-unicode": (
        "POST",
        ORDERS,
        raw_order(product_id='"ČAJNÍK-☕"'),
        JSON,
        400,
        "ČAJNÍK-☕",
    ),
    "product-id-number": ("POST", ORDERS, raw_order(product_id="7"), JSON, 422, "product_id"),
    "city-too-long": (
        "POST",
        ORDERS,
        raw_order().replace('"London"', json.dumps("L" * 201)),
        JSON,
        422,
        "city",
    ),
    # Missing, extra and misplaced fields; bodies that are not an order.
    "customer-id-number": (
        "POST",
        ORDERS,
        raw_order().replace(f'"{ADA}"', "42"),
        JSON,
        422,
        "customer_id",
    ),
    "body-array": ("POST", ORDERS, "[]", JSON, 422, "body"),
    "body-null": ("POST", ORDERS, "null", JSON, 422, "body"),
    "body-empty": ("POST", ORDERS, "", JSON, 422, "body"),
    "body-broken-json": ("POST", ORDERS, '{"customer_id": ', JSON, 422, "JSON decode error"),
    "body-not-utf8": ("POST", ORDERS, b"\xff\xfe{", JSON, 400, "error parsing the body"),
    "body-latin-1": (
        "POST",
        ORDERS,
        raw_order().replace("London", "Lond\xf6n").encode("latin-1"),
        JSON,
        400,
        "can't decode byte 0xf6",
    ),
    "body-nested-100k-deep": (
        "POST",
        ORDERS,
        "[" * 100_000 + "]" * 100_000,
        JSON,
        400,
        "maximum recursion depth",
    ),
    "quantity-5000-digits": (
        "POST",
        ORDERS,
        raw_order(quantity="9" * 5000),
        JSON,
        400,
        "Exceeds the limit (4300 digits)",
    ),
    "body-items-object": (
        "POST",
        ORDERS,
        raw_order()
        .replace('"items": [', '"items": {"0": ')
        .replace('}], "shipping', '}}, "shipping'),
        JSON,
        422,
        "items",
    ),
    "body-extra-field": ("POST", ORDERS, raw_order()[:-1] + ', "coupon": 1}', JSON, 422, "coupon"),
    # Wrong content types, and a body too big to read.
    "content-type-text": (
        "POST",
        ORDERS,
        raw_order(),
        {"content-type": "text/plain"},
        415,
        "text/plain",
    ),
    "content-type-form": (
        "POST",
        ORDERS,
        "customer_id=1",
        {"content-type": "application/x-www-form-urlencoded"},
        415,
        "x-www-form-urlencoded",
    ),
    "content-type-none": ("POST", ORDERS, raw_order(), {}, 415, "no Content-Type"),
    "body-2MiB": (
        "POST",
        ORDERS,
        raw_order()[:-1] + ', "pad": "' + "x" * 2**21 + '"}',
        JSON,
        413,
        "larger than",
    ),
    "cancel-reason-number": ("POST", CANCEL, '{"reason": 5}', JSON, 422, "reason"),
    "cancel-reason-too-long": (
        "POST",
        CANCEL,
        json.dumps({"reason": "r" * 201}),
        JSON,
        422,
        "reason",
    ),
    "cancel-reason-null": ("POST", CANCEL, '{"reason": null}', JSON, 422, "reason"),
    "cancel-reason-surrogate": ("POST", CANCEL, '{"reason": "\\udfff"}', JSON, 422, "reason"),
    "cancel-as-text": ("POST", CANCEL, "too red", {"content-type": "text/plain"}, 415, "JSON"),
    # Paths and query strings.
    "page-1e18": ("GET", f"{CUSTOMER_ORDERS}?page={HUGE}", None, {}, 422, "page"),
    "page-1e30": ("GET", f"{CUSTOMER_ORDERS}?page={HUGE}{HUGE}", None, {}, 422, "page"),
    "page-true": ("GET", f"{CUSTOMER_ORDERS}?page=true", None, {}, 422, "page"),
    "page-size-1.5": ("GET", f"{CUSTOMER_ORDERS}?page_size=1.5", None, {}, 422, "page_size"),
    "page-size-negative": ("GET", f"{CUSTOMER_ORDERS}?page_size=-1", None, {}, 422, "page_size"),
    "status-wrong-case": ("GET", f"{CUSTOMER_ORDERS}?status=PENDING", None, {}, 422, "status"),
    "status-NUL": ("GET", f"{CUSTOMER_ORDERS}?status=%00", None, {}, 422, "status"),
    "min-position-1e400": (
        "GET",
        f"/api/v1/orders/{UNKNOWN_ORDER}?min_position=1e400",
        None,
        {},
        422,
        "min_position",
    ),
    "order-id-long": ("GET", f"/api/v1/orders/{'a' * 5000}", None, {}, 422, "order_id"),
    "order-id-NUL": ("GET", "/api/v1/orders/%00", None, {}, 422, "order_id"),
    "customer-id-emoji": (
        "GET",
        "/api/v1/customers/%F0%9F%98%80/orders",
        None,
        {},
        422,
        "customer_id",
    ),
    "unknown-route": ("GET", "/api/v1/refunds", None, {}, 404, "Not Found"),
    "wrong-method": ("DELETE", ORDERS, None, {}, 405, "Method Not Allowed"),
}


@pytest.mark.parametrize(
    ("method", "url", "body", "headers", "status", "named"), HOSTILE.values(), ids=HOSTILE.keys()
)
def test_every_malformed_request_is_a_clear_4xx_and_writes_nothing(
    lab, client, method, url, body, headers, status, named
):
    place(client)
    client.post("/api/v1/projector/catch-up")  # so a page past the end meets real rows
    before = snapshot(lab)
    response = client.request(method, url, content=body, headers=headers)
    assert response.status_code == status, response.text[:500]
    answer = response.json()  # always JSON, whatever was sent
    detail = answer["detail"]
    if isinstance(detail, list):  # a 422: the field's location, as dotted text
        said = " ".join(".".join(map(str, e["loc"])) + " " + e["msg"] for e in detail)
    else:
        said = f"{detail} {answer.get('error', '')}"
    assert named in said, said[:500]
    assert snapshot(lab) == before


def test_a_body_sent_in_chunks_is_cut_off_at_the_limit_with_a_413(lab, client):
    def chunks():  # no Content-Length: the size is only known by reading
        yield raw_order()[:-1].encode() + b', "pad": "'
        for _ in range(20):
            yield b"x" * 2**16
        yield b'"}'

    before = snapshot(lab)
    response = client.post(ORDERS, content=chunks(), headers=JSON)
    assert response.status_code == 413
    assert response.json() == {
        "detail": "the request body is larger than 1048576 bytes",
        "error": "Request Entity Too Large",
    }
    assert snapshot(lab) == before


def test_a_non_finite_price_is_echoed_back_as_text_in_the_422(client):
    response = client.post(ORDERS, content=raw_order(unit_price="NaN"), headers=JSON)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "items", 0, "unit_price"]
    assert (error["msg"], error["input"]) == ("Input should be a finite number", "nan")


def test_a_long_refused_value_is_echoed_back_cut_short(client):
    body = raw_order(product_id=json.dumps("X" * 10_000))
    [error] = client.post(ORDERS, content=body, headers=JSON).json()["detail"]
    assert error["input"] == "X" * 100 + "... (10000 characters)"


def test_a_price_of_negative_zero_is_stored_as_zero():
    lab = build_lab(seed=1, prices={"CRUNCHY-ARMCHAIR": 0.0})  # a free armchair: -0.0 agrees
    with TestClient(create_app(lab)) as client:
        placed = client.post(ORDERS, content=raw_order(unit_price="-0.0"), headers=JSON).json()
        client.post("/api/v1/projector/catch-up")
        view = client.get(f"/api/v1/orders/{placed['order_id']}").json()
    assert str(view["total_amount"]) == "0.0"
    assert str(lab.event_store.read_all()[-1].event.unit_price) == "0.0"


# -- a projection that cannot apply an event ------------------------------------------------


def test_a_projection_error_in_catch_up_is_a_500_naming_projection_position_and_event():
    lab = build_lab(seed=1, faults=FaultPlan(poison={2: "customer_stats"}))
    with TestClient(create_app(lab)) as client:
        place(client)
        response = client.post("/api/v1/projector/catch-up")
        assert response.status_code == 500
        assert response.json() == {
            "detail": "customer_stats cannot apply OrderItemAdded at position 2: "
            "injected handler failure (poison)",
            "error": "PoisonedEventError",
            "projection": "customer_stats",
            "position": 2,
            "event_type": "OrderItemAdded",
        }
        # The batch was rolled back: the read side is where it was, and says so.
        assert positions(response) == (0, 2, 2)
        lab.projector.faults.heal()
        assert client.post("/api/v1/projector/catch-up").json()["position"] == 2


def test_a_crash_injected_into_catch_up_is_a_500_naming_it_and_the_next_call_recovers():
    lab = build_lab(seed=1, faults=FaultPlan(crash_before_commit=1))
    with TestClient(create_app(lab)) as client:
        place(client)
        response = client.post("/api/v1/projector/catch-up")
        assert response.status_code == 500
        assert response.json() == {
            "detail": "injected crash before commit (batch ending at position 2)",
            "error": "InjectedCrash",
        }
        assert positions(response) == (0, 2, 2)
        assert client.post("/api/v1/projector/catch-up").json()["position"] == 2


def test_the_catch_up_route_documents_its_500(client):
    schema = client.get("/openapi.json").json()
    catch_up = schema["paths"]["/api/v1/projector/catch-up"]["post"]
    example = catch_up["responses"]["500"]["content"]["application/json"]["examples"]
    assert set(example["projection_failed"]["value"]) == {
        "detail",
        "error",
        "projection",
        "position",
        "event_type",
    }


# -- GET /api/v1/orders/{order_id}: eventual consistency ---------------------------------


def test_in_async_mode_a_new_order_is_404_until_projected_and_the_headers_show_the_gap(lab, client):
    placed = place(client)
    response = client.get(f"/api/v1/orders/{placed['order_id']}")
    assert response.status_code == 404
    assert response.json()["error"] == "OrderNotInReadModelError"
    assert "may not be projected yet" in response.json()["detail"]
    assert positions(response) == (0, placed["position"], placed["position"])

    caught_up = client.post("/api/v1/projector/catch-up")
    assert caught_up.json() == {"applied": 2, "position": 2, "head": 2}
    response = client.get(f"/api/v1/orders/{placed['order_id']}")
    assert response.status_code == 200
    view = response.json()
    assert view["id"] == placed["order_id"] and view["customer_name"] == "Ada Lovelace"
    assert (view["status"], view["total_amount"], view["item_count"]) == ("pending", 249.0, 1)
    assert positions(response) == (2, 2, 0)


def test_an_unknown_order_is_404_and_says_none_exists_when_the_read_side_is_current(client):
    place(client)
    client.post("/api/v1/projector/catch-up")
    response = client.get(f"/api/v1/orders/{UNKNOWN_ORDER}")
    assert response.status_code == 404
    assert "up to date at position 2, so no such order exists" in response.json()["detail"]


def test_min_position_turns_a_stale_read_into_409_until_the_projector_gets_there(client):
    placed = place(client)
    url = f"/api/v1/orders/{placed['order_id']}?min_position={placed['position']}"
    stale = client.get(url)
    assert stale.status_code == 409 and stale.json()["error"] == "NotYetProjectedError"
    assert "min_position 2 asked, the read side is at position 0 of 2" in stale.json()["detail"]
    client.post("/api/v1/projector/catch-up")
    assert client.get(url).status_code == 200


def test_min_position_beyond_the_event_store_head_is_400(client):
    response = client.get(f"/api/v1/orders/{UNKNOWN_ORDER}?min_position=7")
    assert response.status_code == 400
    assert "min_position 7 is beyond the event store's head (0)" in response.json()["detail"]


def test_inline_mode_gives_read_your_writes_over_http():
    with TestClient(create_app(build_lab(seed=1, consistency="inline"))) as client:
        placed = place(client)
        response = client.get(f"/api/v1/orders/{placed['order_id']}")
        assert response.status_code == 200 and positions(response) == (2, 2, 0)
        client.post(f"/api/v1/orders/{placed['order_id']}/cancel", json={"reason": "too red"})
        assert client.get(f"/api/v1/orders/{placed['order_id']}").json()["status"] == "cancelled"


def test_reads_go_through_the_query_bus_never_the_repository(lab, client, monkeypatch):
    order_id = place(client)["order_id"]
    client.post("/api/v1/projector/catch-up")
    asked = []
    dispatch = lab.query_bus.dispatch

    async def spy(query):
        asked.append(query)
        return await dispatch(query)

    async def forbidden(*_):
        raise AssertionError("a read loaded the aggregate")

    monkeypatch.setattr(lab.query_bus, "dispatch", spy)
    monkeypatch.setattr(lab.orders, "get", forbidden)
    assert client.get(f"/api/v1/orders/{order_id}").status_code == 200
    assert [type(query) for query in asked] == [GetOrderById]


def test_a_malformed_order_id_in_the_path_is_422_naming_it(client):
    response = client.get("/api/v1/orders/not-a-uuid")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "order_id"]


# -- POST /api/v1/orders/{order_id}/cancel and /ship -------------------------------------


def test_cancelling_a_pending_order_answers_200_and_the_read_model_follows(client):
    order_id = place(client)["order_id"]
    response = client.post(f"/api/v1/orders/{order_id}/cancel", json={"reason": "too red"})
    assert response.status_code == 200
    assert response.json() == {"order_id": order_id, "position": 3, "events": ["OrderCancelled"]}
    client.post("/api/v1/projector/catch-up")
    assert client.get(f"/api/v1/orders/{order_id}").json()["status"] == "cancelled"


def test_shipping_a_pending_order_answers_200(client):
    order_id = place(client)["order_id"]
    response = client.post(f"/api/v1/orders/{order_id}/ship")
    assert response.status_code == 200
    assert response.json() == {"order_id": order_id, "position": 3, "events": ["OrderShipped"]}


def test_cannot_cancel_a_shipped_order_400_and_nothing_is_written(lab, client):
    order_id = place(client)["order_id"]
    client.post(f"/api/v1/orders/{order_id}/ship")
    before = snapshot(lab)
    response = client.post(f"/api/v1/orders/{order_id}/cancel", json={"reason": "late"})
    assert response.status_code == 400
    assert response.json() == {
        "detail": f"Cannot cancel shipped order {order_id}",
        "error": "InvalidOperationError",
    }
    assert snapshot(lab) == before


def test_cannot_ship_a_cancelled_order_400(lab, client):
    order_id = place(client)["order_id"]
    client.post(f"/api/v1/orders/{order_id}/cancel", json={"reason": "too red"})
    before = snapshot(lab)
    response = client.post(f"/api/v1/orders/{order_id}/ship")
    assert response.status_code == 400 and response.json()["error"] == "InvalidOperationError"
    assert snapshot(lab) == before


@pytest.mark.parametrize(
    ("action", "body"), [("cancel", {"reason": "never placed"}), ("ship", None)]
)
def test_cancel_or_ship_of_an_unknown_order_is_404_and_writes_nothing(lab, client, action, body):
    before = snapshot(lab)
    response = client.post(f"/api/v1/orders/{UNKNOWN_ORDER}/{action}", json=body)
    assert response.status_code == 404
    assert response.json() == {
        "detail": f"Order {UNKNOWN_ORDER} does not exist",
        "error": "OrderNotFoundError",
    }
    assert snapshot(lab) == before


@pytest.mark.parametrize(
    ("body", "location"),
    [({"reason": ""}, ["body", "reason"]), ({}, ["body", "reason"]), (None, ["body"])],
    ids=["empty-reason", "no-reason", "no-body"],
)
def test_a_cancel_without_a_reason_is_422_naming_it(lab, client, body, location):
    order_id = place(client)["order_id"]
    before = snapshot(lab)
    response = client.post(f"/api/v1/orders/{order_id}/cancel", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == location
    assert snapshot(lab) == before


def test_a_concurrent_change_is_409(lab, client):
    order_id = place(client)["order_id"]

    def someone_else_moved_first(command):
        raise ConcurrencyError(command.order_id, 2, 3)

    lab.command_bus.register(ShipOrder, someone_else_moved_first)
    response = client.post(f"/api/v1/orders/{order_id}/ship")
    assert response.status_code == 409
    assert response.json()["error"] == "ConcurrencyError"
    assert f"stream {order_id}: expected version 2" in response.json()["detail"]


# -- GET /api/v1/customers/{customer_id}/orders --------------------------------------------


def test_a_customers_orders_come_a_page_at_a_time_and_filter_by_status(client):
    ada_orders = {
        place(client, product_id="MIDNIGHT-LAMP", unit_price=35.25)["order_id"] for _ in range(3)
    }
    place(client, customer_id=GRACE)
    cancelled = sorted(ada_orders)[0]
    client.post(f"/api/v1/orders/{cancelled}/cancel", json={"reason": "dark enough"})
    client.post("/api/v1/projector/catch-up")
    url = f"/api/v1/customers/{ADA}/orders"

    first = client.get(url, params={"page_size": 2}).json()
    second = client.get(url, params={"page_size": 2, "page": 2}).json()
    assert (first["page"], first["page_size"], len(first["items"])) == (1, 2, 2)
    assert len(second["items"]) == 1
    assert {view["id"] for view in first["items"] + second["items"]} == ada_orders
    only_cancelled = client.get(url, params={"status": "cancelled"}).json()
    assert [view["id"] for view in only_cancelled["items"]] == [cancelled]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": 0}, "page"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": 101}, "page_size"),
        ({"status": "lost"}, "status"),
        ({"min_position": -1}, "min_position"),
    ],
)
def test_bad_paging_or_status_is_422_naming_the_field(client, params, field):
    response = client.get(f"/api/v1/customers/{ADA}/orders", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", field]


def test_a_customers_orders_refuse_to_be_stale_with_min_position(client):
    placed = place(client)
    url = f"/api/v1/customers/{ADA}/orders?min_position={placed['position']}"
    assert client.get(url).status_code == 409
    client.post("/api/v1/projector/catch-up")
    assert [view["id"] for view in client.get(url).json()["items"]] == [placed["order_id"]]


def test_the_orders_of_an_unknown_customer_are_404(client):
    response = client.get(f"/api/v1/customers/{NOBODY}/orders")
    assert response.status_code == 404
    assert response.json() == {
        "detail": f"unknown customer {NOBODY}",
        "error": "CustomerNotFoundError",
    }


# -- projector (teaching) ------------------------------------------------------------------


def test_the_projector_route_reports_the_lag_and_catch_up_closes_it(client):
    place(client)
    status = client.get("/api/v1/projector").json()
    assert status == {
        "consistency": "async",
        "head": 2,
        "position": 0,
        "events_behind": 2,
        "seconds_behind": 0.0,
        "checkpoints": {"order_summary": 0, "customer_stats": 0},
    }
    client.post("/api/v1/projector/catch-up")
    assert client.get("/api/v1/projector").json()["events_behind"] == 0


# -- OpenAPI, packaging, the demo factory --------------------------------------------------


def test_the_openapi_schema_documents_every_route_with_tags_and_demo_examples(client):
    schema = client.get("/openapi.json").json()
    routes = {(path, method) for path, ops in schema["paths"].items() for method in ops}
    assert routes == {
        ("/api/v1/orders", "post"),
        ("/api/v1/orders/{order_id}", "get"),
        ("/api/v1/orders/{order_id}/cancel", "post"),
        ("/api/v1/orders/{order_id}/ship", "post"),
        ("/api/v1/customers/{customer_id}/orders", "get"),
        ("/api/v1/projector", "get"),
        ("/api/v1/projector/catch-up", "post"),
    }
    for ops in schema["paths"].values():
        for op in ops.values():
            assert op["tags"] and op["summary"], op["operationId"]
    create = schema["paths"]["/api/v1/orders"]["post"]
    example = create["requestBody"]["content"]["application/json"]["examples"]["one_armchair"]
    assert example["value"]["customer_id"] == str(ADA)
    assert example["value"]["items"][0]["product_id"] == "CRUNCHY-ARMCHAIR"
    assert {"201", "400", "422"} <= set(create["responses"])
    rejected = create["responses"]["400"]["content"]["application/json"]["examples"]
    assert "CRUNCHY-ARMCHAIR" in rejected["insufficient_inventory"]["value"]["detail"]
    read = schema["paths"]["/api/v1/orders/{order_id}"]["get"]
    assert "X-Projection-Position" in read["description"]
    assert {"200", "404", "409", "422"} <= set(read["responses"])


def test_the_lab_imports_without_fastapi_and_the_api_says_what_to_install():
    script = (
        "import sys\n"
        "sys.modules['fastapi'] = None\n"
        "import cqrs_lab, cqrs_lab.orders\n"
        "try:\n"
        "    import cqrs_lab.api\n"
        "except ModuleNotFoundError as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "pip install 'cqrs_lab[api]'" in result.stdout


def test_the_demo_factory_serves_a_wall_clock_lab_in_the_chosen_consistency(monkeypatch):
    # The factory installs its clock and ids as message defaults: restore them afterwards.
    monkeypatch.setattr(defaults, "_clock", defaults._clock)
    monkeypatch.setattr(defaults, "_ids", defaults._ids)
    monkeypatch.setenv("CQRS_LAB_CONSISTENCY", "inline")
    lab = app_factory().state.lab
    assert lab.consistency == "inline" and isinstance(lab.clock, SystemClock)
    monkeypatch.setenv("CQRS_LAB_CONSISTENCY", "eventually")
    with pytest.raises(ValueError, match="consistency must be 'async' or 'inline'"):
        app_factory()
