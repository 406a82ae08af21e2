"""The app factory: a lab behind FastAPI.

``create_app(lab)`` serves a lab you built (tests, notebooks). ``app_factory()`` builds a
demo lab first, for ``uvicorn cqrs_lab.api:app_factory --factory``. ``postgres_app_factory()``
serves a lab over a shared PostgreSQL event store, for several uvicorn workers at once.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from cqrs_lab.api import customers, orders, projector
from cqrs_lab.api.consistency import position_headers
from cqrs_lab.api.errors import install_error_handlers
from cqrs_lab.api.validation import BodySizeLimit
from cqrs_lab.orders import Lab, build_lab
from cqrs_lab.orders.catalogue import DEMO_STOCK
from cqrs_lab.time_and_ids.clock import SystemClock
from cqrs_lab.time_and_ids.ids import RandomIds

DESCRIPTION = """
The seed's order system over HTTP: commands go through the command bus, reads through the
query bus, from DuckDB read models.

**Eventual consistency.** In async mode the projector runs only when told
(`POST /api/v1/projector/catch-up`), so a freshly placed order may answer 404 until it is
projected. Every `/api/` response says how far the read side is: `X-Projection-Position`
(every read model is complete up to this event store position), `X-Event-Store-Head` and
`X-Events-Behind`. A write returns the `position` of its last event: once
`X-Projection-Position >= position`, reads include it, and `?min_position=` makes a read
refuse (409) rather than answer stale. In inline mode every command is projected before
its response: read-your-writes.
"""

TAGS = [
    {"name": "orders", "description": "Place, read, cancel and ship orders."},
    {"name": "customers", "description": "A customer's orders, paged, from the read model."},
    {"name": "projector (teaching)", "description": "See and close the read side's lag."},
]

#: Environment variable read by :func:`app_factory`: ``async`` (default) or ``inline``.
CONSISTENCY_ENV = "CQRS_LAB_CONSISTENCY"

#: Environment variable read by :func:`postgres_app_factory`: the event store's DSN.
POSTGRES_DSN_ENV = "CQRS_LAB_POSTGRES_DSN"


def create_app(lab: Lab) -> FastAPI:
    """A FastAPI app serving ``lab`` (kept as ``app.state.lab``)."""
    app = FastAPI(
        title="cqrs_lab orders API",
        version="1",
        description=DESCRIPTION,
        openapi_tags=TAGS,
    )
    app.state.lab = lab
    install_error_handlers(app)
    app.include_router(orders.router)
    app.include_router(customers.router)
    app.include_router(projector.router)
    app.add_middleware(BodySizeLimit)  # inside the one below, so a 413 gets position headers

    @app.middleware("http")
    async def add_position_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # After the route ran, so a write in inline mode shows its own projection.
        response = await call_next(request)
        if request.url.path.startswith("/api/"):
            response.headers.update(position_headers(request.app.state.lab))
        return response

    return app


def app_factory() -> FastAPI:
    """A demo lab (demo catalogue, wall clock, random ids) behind :func:`create_app`.

    For ``uvicorn cqrs_lab.api:app_factory --factory``. Set ``CQRS_LAB_CONSISTENCY=inline``
    for read-your-writes; the default, ``async``, projects on ``POST /api/v1/projector/catch-up``.
    """
    consistency = os.environ.get(CONSISTENCY_ENV, "async")
    lab = build_lab(clock=SystemClock(), ids=RandomIds(), consistency=consistency)
    return create_app(lab)


def postgres_app_factory() -> FastAPI:
    """A lab writing to the PostgreSQL event store named by ``CQRS_LAB_POSTGRES_DSN``.

    For ``uvicorn cqrs_lab.api:postgres_app_factory --factory --workers 4``: every worker
    process builds its own lab over the one store, whose appends are serialised in
    PostgreSQL, so the workers' commands land in one gap-free order (optimistic concurrency
    refuses a stale write to an order whichever worker made it). The stock streams are
    shared too, in a schema beside the log (:mod:`cqrs_lab.api.shared_stock`), so the
    workers together never reserve more than the warehouse holds. Each worker's reads come
    from its own in-memory read models, caught up on ``POST /api/v1/projector/catch-up`` (or
    after every command with ``CQRS_LAB_CONSISTENCY=inline``); the shared read models are
    kept by one ``python -m cqrs_lab.projector_process`` in a DuckDB file.

    Raises:
        RuntimeError: if ``CQRS_LAB_POSTGRES_DSN`` is not set.
    """
    from cqrs_lab.api.shared_stock import shared_stock_store
    from cqrs_lab.write_side.postgres_event_store import PostgresEventStore

    dsn = os.environ.get(POSTGRES_DSN_ENV)
    if not dsn:
        raise RuntimeError(f"set {POSTGRES_DSN_ENV} to the PostgreSQL event store's DSN")
    consistency = os.environ.get(CONSISTENCY_ENV, "async")
    store = PostgresEventStore(dsn)
    lab = build_lab(
        event_store=store,
        stock_store=shared_stock_store(dsn, DEMO_STOCK, store.clock),
        clock=store.clock,
        ids=RandomIds(),
        consistency=consistency,
        record_history=False,
    )
    return create_app(lab)
