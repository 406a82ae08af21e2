"""Known wrong answers for notebook 10's exercises (the HTTP API)."""

_MODEL = (
    "class AddItemRequest(BaseModel):\n"
    '    model_config = ConfigDict(extra="forbid")\n'
    '    product_id: str = Field(pattern=r"^[A-Z0-9-]{{1,40}}$")\n'
    "    quantity: int = Field(ge=1, le=10_000)\n"
    "    unit_price: float = Field({price})\n"
    "return AddItemRequest"
)

_ORDER_IDS = (
    '@app.get("/api/v1/customers/{{customer_id}}/order-ids")\n'
    "async def order_ids(customer_id: UUID, lab: LabDep, {params}) -> dict:\n"
    "    query = GetOrdersByCustomer(customer_id=customer_id, page=page, page_size=page_size)\n"
    "    views = await lab.query_bus.dispatch(query)\n"
    "    nxt = GetOrdersByCustomer(customer_id=customer_id, page=page + 1, page_size=page_size)\n"
    "    after = {after}\n"
    '    link = f"/api/v1/customers/{{customer_id}}/order-ids?page={{page + 1}}&page_size={{page_size}}"\n'
    '    return {{"items": [str(v.id) for v in views], "page": page, "next": link if after else None}}'
)
_BOUNDED = (
    "page: Annotated[int, Query(ge=1)] = 1, page_size: Annotated[int, Query(ge=1, le=100)] = 20"
)

_CREATE = (
    '@app.post("/api/v1/orders", status_code=201)\n'
    "async def create_order(body: CreateOrderRequest, lab: LabDep,\n"
    '                       idempotency_key: Annotated[UUID, Header(alias="Idempotency-Key")]) -> dict:\n'
    "    command = CreateOrder({command_id}customer_id=body.customer_id, items=body.items,\n"
    "                          shipping_address=body.shipping_address)\n"
    "    events = await lab.command_bus.dispatch(command)\n"
    '    return {{"order_id": str(created_order_id(events))}}'
)


def _handler(order: str) -> str:
    return (
        f"{order}\n"
        'return JSONResponse({"error": type(error).__name__, "detail": str(error)}, '
        "status_code=status)"
    )


WRONG = {
    "10-request-model": [
        (  # ge=0 refuses NaN, yet lets infinity through
            [_MODEL.format(price="ge=0")],
            "a unit_price of inf (JSON's 1e400) was accepted",
        ),
        (  # the guide's plain types: anything that parses is accepted
            [
                "class AddItemRequest(BaseModel):\n"
                "    product_id: str\n"
                "    quantity: int\n"
                "    unit_price: float\n"
                "return AddItemRequest"
            ],
            "a quantity of 0 was accepted",
        ),
    ],
    "10-error-mapping": [
        (  # the general type first: OrderNotFoundError is an OrderRejected too
            [
                _handler(
                    "if isinstance(error, OrderRejected):\n    status = 400\n"
                    "elif isinstance(error, OrderNotFoundError):\n    status = 404\n"
                    "else:\n    status = 409"
                )
            ],
            "shipping an order that does not exist answered 400; want 404",
        ),
        (  # a lost race treated as a refusal
            [
                _handler(
                    "status = 404 if isinstance(error, OrderNotFoundError) else 400",
                )
            ],
            "a write that lost an optimistic-concurrency race answered 400; want 409",
        ),
    ],
    "10-paged-endpoint": [
        (  # a full page taken as proof of a next one
            [_ORDER_IDS.format(params=_BOUNDED, after="len(views) == page_size")],
            "Ada has 4 orders; page 2 of size 2 links to",
        ),
        (  # no bounds on the parameters: page=0 reaches the query and fails there
            [
                _ORDER_IDS.format(
                    params="page: int = 1, page_size: int = 20",
                    after="await lab.query_bus.dispatch(nxt)",
                )
            ],
            "page=0 answered 500; want 422 naming ['query', 'page']",
        ),
    ],
    "10-idempotent-post": [
        (  # the key is read but not used: every retry is a new command
            [_CREATE.format(command_id="")],
            "a retry with the same Idempotency-Key placed a second order",
        ),
        (  # the key is used, but a reused key is left to crash as a 500
            [_CREATE.format(command_id="command_id=idempotency_key, ")],
            "the same Idempotency-Key with a different order answered 500; want 409",
        ),
    ],
}
