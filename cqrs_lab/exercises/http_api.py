"""Notebook 10's exercises: a request model, domain errors as HTTP, a paged route, an idempotent POST.

Each check serves a lab of its own through FastAPI's ``TestClient`` (in-process, no socket)
and reads statuses and bodies the way a client would.
"""

from __future__ import annotations

import math
import warnings
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ValidationError

from cqrs_lab import ConcurrencyError
from cqrs_lab.exercises.checking import NotYet, exercise
from cqrs_lab.exercises.fixtures import ORDER_ID
from cqrs_lab.orders import (
    ADA,
    DEMO_ADDRESS,
    GRACE,
    CreateOrder,
    OrderItem,
    OrderRejected,
    build_lab,
    created_order_id,
)


def _test_client(app: Any, *, raise_errors: bool = True) -> Any:
    """FastAPI's ``TestClient`` for ``app``, imported only when a check runs: FastAPI is
    the optional ``api`` extra, and ``cqrs_lab.exercises`` must import without it."""
    with warnings.catch_warnings():  # Starlette 1.x prefers httpx2 to httpx; httpx works
        warnings.simplefilter("ignore", UserWarning)
        from fastapi.testclient import TestClient
    return TestClient(app, raise_server_exceptions=raise_errors)


def _client(lab: Any, *, raise_errors: bool = True) -> tuple[Any, Any]:
    """A bare app serving ``lab`` (no routes, the API's error handlers), and a client."""
    from fastapi import FastAPI

    from cqrs_lab.api.errors import install_error_handlers

    app = FastAPI()
    app.state.lab = lab
    install_error_handlers(app)
    return app, _test_client(app, raise_errors=raise_errors)


def _order_body(quantity: int = 1, product_id: str = "CRUNCHY-ARMCHAIR") -> dict:
    return {
        "customer_id": str(ADA),
        "items": [{"product_id": product_id, "quantity": quantity}],
        "shipping_address": DEMO_ADDRESS.model_dump(),
    }


_GOOD_LINE = {"product_id": "CRUNCHY-ARMCHAIR", "quantity": 2, "unit_price": 249.0}

#: Bad request bodies for an order line: (what, changed fields, field the error must name).
_BAD_LINES = [
    ("a quantity of 0", {"quantity": 0}, "quantity"),
    ("a quantity of 10,001", {"quantity": 10_001}, "quantity"),
    ('a quantity of "two"', {"quantity": "two"}, "quantity"),
    ('a product_id of "flying carpet"', {"product_id": "flying carpet"}, "product_id"),
    ("an empty product_id", {"product_id": ""}, "product_id"),
    ("a unit_price of -1", {"unit_price": -1}, "unit_price"),
    ("a unit_price of NaN", {"unit_price": math.nan}, "unit_price"),
    ("a unit_price of inf (JSON's 1e400)", {"unit_price": math.inf}, "unit_price"),
    ("a unit_price of 100,000.01", {"unit_price": 100_000.01}, "unit_price"),
    ('an unknown field "discount"', {"discount": 0.5}, "discount"),
]


@exercise(
    "10-request-model",
    "A request model that refuses bad input, naming the field",
    hints=(
        "Let pydantic say what a field may hold: Field(...) bounds, a pattern, no NaN or "
        "infinity, no unknown fields; each refusal then names its field.",
        'model_config = ConfigDict(extra="forbid"); product_id: str = '
        'Field(pattern=r"^[A-Z0-9-]{1,40}$"); quantity: int = Field(ge=1, le=10_000); '
        "unit_price: float = Field(ge=0, le=100_000, allow_inf_nan=False).",
    ),
)
def _request_model(answer: Any) -> None:
    model = answer()
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise NotYet(
            f"add_item_request() returned {model!r}, not a pydantic model class",
            "Define the class inside the function and return the class itself.",
            "class AddItemRequest(BaseModel): ...; return AddItemRequest",
        )
    try:
        good = model.model_validate(_GOOD_LINE)
    except ValidationError as refused:
        raise NotYet(
            f"a good line (2 CRUNCHY-ARMCHAIR at 249.00) was refused: {refused.errors()[0]}",
            "Refuse only what no order line can be: 1 to 10,000 units at 0 to 100,000.00.",
            "Check each bound: ge=1, le=10_000 for quantity; ge=0, le=100_000 for unit_price.",
        ) from None
    kept = {name: getattr(good, name, None) for name in _GOOD_LINE}
    if kept != _GOOD_LINE:
        raise NotYet(
            f"a good line came out as {kept}, want {_GOOD_LINE}",
            "The model keeps the three fields as sent.",
            "Name the fields product_id, quantity and unit_price.",
        )
    for what, change, field in _BAD_LINES:
        try:
            model.model_validate(_GOOD_LINE | change)
        except ValidationError as refused:
            named = {error["loc"][0] for error in refused.errors() if error["loc"]}
            if named != {field}:
                raise NotYet(
                    f"{what} was refused, but the error names {sorted(map(str, named))}, "
                    f"not {field!r}",
                    "A client fixes what the error names: name the field at fault, only it.",
                    "Put the rule on the field itself (Field(...)), not on the whole model.",
                ) from None
            continue
        raise NotYet(
            f"{what} was accepted",
            "Every value a client can send must be checked before it becomes a command: "
            "bounds, shape, finite numbers, no unknown fields.",
            _SECOND_HINTS[field],
        )


_SECOND_HINTS = {
    "quantity": "quantity: int = Field(ge=1, le=10_000)",
    "product_id": 'product_id: str = Field(pattern=r"^[A-Z0-9-]{1,40}$")',
    "unit_price": "unit_price: float = Field(ge=0, le=100_000, allow_inf_nan=False)",
    "discount": 'model_config = ConfigDict(extra="forbid")',
}


@exercise(
    "10-error-mapping",
    "An error handler that turns domain errors into 400, 404 and 409",
    hints=(
        "Test the most specific error type first: an OrderNotFoundError is also an OrderRejected.",
        "404 for OrderNotFoundError, 409 for ConcurrencyError, 400 for any other "
        'OrderRejected; JSONResponse({"error": type(error).__name__, "detail": str(error)}, '
        "status_code=status).",
    ),
)
def _error_mapping(answer: Any) -> None:
    from fastapi import FastAPI

    from cqrs_lab.api.orders import router as order_routes

    lab = build_lab(seed=102)
    app = FastAPI()
    app.state.lab = lab
    client = _test_client(app)
    app.include_router(order_routes)
    app.add_exception_handler(OrderRejected, answer)
    app.add_exception_handler(ConcurrencyError, answer)

    @app.post("/raise/conflict")
    async def _conflict() -> None:
        raise ConcurrencyError(ORDER_ID, 2, 3)

    placed = client.post("/api/v1/orders", json=_order_body())
    order_id = placed.json()["order_id"]
    client.post(f"/api/v1/orders/{order_id}/ship")
    ghost = "00000000-0000-4000-8000-0000000000aa"
    cases = [
        (
            client.post("/api/v1/orders", json=_order_body(quantity=9)),
            400,
            "InsufficientInventoryError",
            "nine armchairs when four are free",
            "CRUNCHY-ARMCHAIR",
        ),
        (
            client.post(f"/api/v1/orders/{order_id}/cancel", json={"reason": "late"}),
            400,
            "InvalidOperationError",
            "cancelling a shipped order",
            order_id,
        ),
        (
            client.post(f"/api/v1/orders/{ghost}/ship"),
            404,
            "OrderNotFoundError",
            "shipping an order that does not exist",
            ghost,
        ),
        (
            client.post("/raise/conflict"),
            409,
            "ConcurrencyError",
            "a write that lost an optimistic-concurrency race",
            "expected version 2",
        ),
    ]
    for response, status, error, what, named in cases:
        if response.status_code != status:
            raise NotYet(
                f"{what} answered {response.status_code}; want {status}",
                _WHY[status],
                "if isinstance(error, OrderNotFoundError): 404, elif ConcurrencyError: 409, "
                "elif OrderRejected: 400, in that order.",
            )
        body = response.json()
        if not isinstance(body, dict) or body.get("error") != error:
            raise NotYet(
                f"{what} answered {body!r}; the body should say which error: "
                f'{{"error": "{error}", ...}}',
                "A client reads the error's type to decide what to do next.",
                '{"error": type(error).__name__, "detail": str(error)}',
            )
        if named not in str(body.get("detail", "")):
            raise NotYet(
                f"{what}: the detail {body.get('detail')!r} does not name {named!r}",
                "The domain's message names the entity at fault: pass it on.",
                '"detail": str(error)',
            )


_WHY = {
    400: "The domain refused the command: the request must change (400), and nothing was written.",
    404: "The order does not exist: that is a 404, even though OrderNotFoundError is also an "
    "OrderRejected.",
    409: "Someone else changed the order first: 409 tells the client to reload and retry.",
}


def _place_orders(lab: Any, customer: UUID, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        lab.clock.advance(60)
        command = CreateOrder(
            customer_id=customer,
            items=[OrderItem(product_id="MIDNIGHT-LAMP", quantity=1, unit_price=35.25)],
            shipping_address=DEMO_ADDRESS,
        )
        ids.append(str(created_order_id(lab.dispatch(command))))
    return ids


@exercise(
    "10-paged-endpoint",
    "A paged route: a customer's order ids, newest first, with a link to the next page",
    hints=(
        "Read through the query bus (GetOrdersByCustomer), let FastAPI bound page and "
        "page_size (a 422 names the parameter), and link to a next page only if it has orders.",
        "page: Annotated[int, Query(ge=1)] = 1, page_size: Annotated[int, Query(ge=1, le=100)] "
        "= 20; ask for page + 1 too, and next = its URL if it is not empty, else None.",
    ),
)
def _paged_endpoint(answer: Any) -> None:
    lab = build_lab(seed=103)
    app, client = _client(lab, raise_errors=False)
    answer(app)
    ada = _place_orders(lab, ADA, 4)
    _place_orders(lab, GRACE, 2)
    lab.catch_up()
    path = f"/api/v1/customers/{ADA}/order-ids"
    strict = _test_client(app)
    first = strict.get(path, params={"page_size": 3})
    if first.status_code != 200:
        raise NotYet(
            f"GET {path}?page_size=3 answered {first.status_code}; want 200",
            "The route is GET /api/v1/customers/{customer_id}/order-ids.",
            '@app.get("/api/v1/customers/{customer_id}/order-ids")',
        )
    body = first.json()
    newest = list(reversed(ada))
    if body.get("items") != newest[:3]:
        names = {order_id: f"order {n + 1}" for n, order_id in enumerate(ada)}
        seen = [names.get(i, "another customer's order") for i in body.get("items") or []]
        raise NotYet(
            f"page 1 of 3 lists {seen}; want Ada's three newest: ['order 4', 'order 3', 'order 2']",
            "The query bus answers GetOrdersByCustomer newest first; return the ids as strings.",
            '"items": [str(view.id) for view in views]',
        )
    pages = [strict.get(path, params={"page": n, "page_size": 2}).json() for n in (1, 2, 3)]
    if [p.get("items") for p in pages] != [newest[:2], newest[2:], []]:
        raise NotYet(
            "pages 1, 2 and 3 of size 2 do not list Ada's 4 orders two by two, then none",
            "Pages count from 1: page n starts after (n - 1) * page_size orders.",
            "Pass page and page_size to GetOrdersByCustomer as they came.",
        )
    links = [p.get("next") for p in pages]
    if links[1] is not None:
        raise NotYet(
            f"Ada has 4 orders; page 2 of size 2 links to {links[1]!r}, a page with no orders",
            "A full page is not proof of a next one: the last page can be exactly full.",
            "Ask for page + 1 as well, and link to it only if it has orders.",
        )
    want_next = f"{path}?page=2&page_size=2"
    if links[0] != want_next or body.get("next") != f"{path}?page=2&page_size=3":
        raise NotYet(
            f"page 1 of size 2 links to {links[0]!r}; want {want_next!r}",
            "The next link keeps the page size and adds one to the page.",
            'f"/api/v1/customers/{customer_id}/order-ids?page={page + 1}&page_size={page_size}"',
        )
    for params, name in [({"page": 0}, "page"), ({"page_size": 0}, "page_size")]:
        refused = client.get(path, params=params)
        detail = refused.json().get("detail", []) if refused.status_code == 422 else []
        where = [e.get("loc") for e in detail]
        if refused.status_code != 422 or ["query", name] not in where:
            raise NotYet(
                f"{name}={params[name]} answered {refused.status_code}; want 422 naming "
                f"['query', {name!r}]",
                "Bad paging is the client's mistake: FastAPI refuses it before the route runs, "
                "if the parameter says its bounds.",
                "page: Annotated[int, Query(ge=1)] = 1, page_size: Annotated[int, Query(ge=1, "
                "le=100)] = 20",
            )
    refused = client.get(path, params={"page_size": 101})
    if refused.status_code != 422:
        raise NotYet(
            f"page_size=101 answered {refused.status_code}; want 422 (a page holds at most 100)",
            "An unbounded page size lets one request read the whole table.",
            "Query(ge=1, le=100)",
        )


@exercise(
    "10-idempotent-post",
    "An idempotent POST: a retry with the same command id places one order",
    hints=(
        "The client's Idempotency-Key header is the command's command_id: the command bus "
        "answers a resend of a known command id with the first result, writing nothing.",
        "CreateOrder(command_id=idempotency_key, ...); catch CommandIdReusedError and raise "
        "HTTPException(409, str(error)).",
    ),
)
def _idempotent_post(answer: Any) -> None:
    lab = build_lab(seed=104)
    app, client = _client(lab)
    answer(app)
    key = "00000000-0000-4000-8000-00000000c0de"
    first = client.post("/api/v1/orders", json=_order_body(), headers={"Idempotency-Key": key})
    if first.status_code != 201 or "order_id" not in first.json():
        raise NotYet(
            f"POST /api/v1/orders answered {first.status_code} {first.json()}; want 201 with "
            "the new order's order_id",
            "A new order is created: 201, and the body names it.",
            '@app.post("/api/v1/orders", status_code=201), returning {"order_id": ...}',
        )
    head = lab.event_store.head
    retry = client.post("/api/v1/orders", json=_order_body(), headers={"Idempotency-Key": key})
    if lab.event_store.head != head:
        raise NotYet(
            f"a retry with the same Idempotency-Key placed a second order (the store went from "
            f"{head} to {lab.event_store.head} events)",
            "A client that lost the first answer sends again; the key says it is the same "
            "request. The command bus recognises a resend by its command_id.",
            "CreateOrder(command_id=idempotency_key, customer_id=..., items=..., "
            "shipping_address=...)",
        )
    if (retry.status_code, retry.json().get("order_id")) != (201, first.json()["order_id"]):
        raise NotYet(
            f"the retry answered {retry.status_code} {retry.json()}; want the first answer "
            "again: 201 and the same order_id",
            "The client must learn what its first request did.",
            "Return created_order_id(events) from the events the bus hands back.",
        )
    lenient = _test_client(app, raise_errors=False)  # an unmapped error is a 500
    other = lenient.post("/api/v1/orders", json=_order_body(2), headers={"Idempotency-Key": key})
    if other.status_code != 409 or lab.event_store.head != head:
        raise NotYet(
            f"the same Idempotency-Key with a different order answered {other.status_code}; "
            "want 409, and nothing written",
            "A key reused for another request is a conflict the client must resolve.",
            "except CommandIdReusedError as error: raise HTTPException(409, str(error))",
        )
    missing = client.post("/api/v1/orders", json=_order_body())
    if missing.status_code != 422:
        raise NotYet(
            f"a POST without an Idempotency-Key answered {missing.status_code}; want 422 naming "
            "the header",
            "Without a key a retry cannot be recognised: require it.",
            'idempotency_key: Annotated[UUID, Header(alias="Idempotency-Key")]',
        )
