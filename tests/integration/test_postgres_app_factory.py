"""postgres_app_factory: every uvicorn worker builds a lab over the store its DSN names,
and all of them share one warehouse (the stock streams, in PostgreSQL beside the log)."""

import threading

import psycopg
import pytest

pytest.importorskip("fastapi")

from cqrs_lab import PostgresEventStore  # noqa: E402
from cqrs_lab.api import POSTGRES_DSN_ENV, postgres_app_factory  # noqa: E402
from cqrs_lab.api.shared_stock import shared_stock_store, stock_dsn  # noqa: E402
from cqrs_lab.orders import (  # noqa: E402
    ADA,
    DEMO_ADDRESS,
    CreateOrder,
    InsufficientInventoryError,
    OrderItem,
)
from cqrs_lab.orders.catalogue import DEMO_STOCK  # noqa: E402
from cqrs_lab.orders.stock import stock_id_of  # noqa: E402
from cqrs_lab.time_and_ids import defaults  # noqa: E402

WORKERS = 2
CLIENTS = 8
"""Threads placing armchair orders at once, half through each worker's lab."""


@pytest.fixture(autouse=True)
def keep_message_defaults(monkeypatch):
    """A served lab installs its wall clock and random ids: put the defaults back after."""
    monkeypatch.setattr(defaults, "_clock", defaults._clock)
    monkeypatch.setattr(defaults, "_ids", defaults._ids)


@pytest.fixture
def served_dsn(monkeypatch, postgres_dsn):
    """The DSN the factory reads; the stock schema it makes beside the log is dropped after."""
    monkeypatch.setenv(POSTGRES_DSN_ENV, postgres_dsn)
    yield postgres_dsn
    with psycopg.connect(postgres_dsn, autocommit=True) as admin:
        (schema,) = admin.execute("SELECT current_schema()").fetchone()
        admin.execute(f"DROP SCHEMA IF EXISTS {schema}_stock CASCADE")


def armchair_order() -> CreateOrder:
    return CreateOrder(
        customer_id=ADA,
        shipping_address=DEMO_ADDRESS,
        items=[OrderItem(product_id="CRUNCHY-ARMCHAIR", quantity=1, unit_price=249.0)],
    )


def all_at_once(count: int, action) -> list:
    """Run ``action(n)`` in ``count`` threads released together; their results (or errors)."""
    start, results = threading.Barrier(count), [None] * count

    def run(n: int) -> None:
        start.wait(timeout=30)
        try:
            results[n] = action(n)
        except Exception as error:  # kept, so the test can say which one failed and how
            results[n] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_without_a_dsn_the_factory_names_the_variable_to_set(monkeypatch):
    monkeypatch.delenv(POSTGRES_DSN_ENV, raising=False)
    with pytest.raises(RuntimeError, match="CQRS_LAB_POSTGRES_DSN"):
        postgres_app_factory()


def test_two_apps_from_one_dsn_write_to_one_store(served_dsn):
    first, second = postgres_app_factory(), postgres_app_factory()
    stores = [app.state.lab.event_store for app in (first, second)]
    assert all(isinstance(store, PostgresEventStore) for store in stores)
    assert stores[0] is not stores[1] and stores[0].dsn == stores[1].dsn == served_dsn
    for app in (first, second):
        app.state.lab.close()


def test_the_stock_lives_in_postgres_beside_the_log_not_in_it(served_dsn):
    lab = postgres_app_factory().state.lab
    lab.dispatch(armchair_order())
    warehouse = lab.inventory.store
    assert isinstance(warehouse, PostgresEventStore) and warehouse.dsn == stock_dsn(served_dsn)
    assert [r.type for r in warehouse.read_stream(stock_id_of("CRUNCHY-ARMCHAIR"))] == [
        "StockAdded",
        "StockReserved",
    ]
    assert {r.type for r in lab.event_store.read_all()} == {"OrderCreated", "OrderItemAdded"}
    lab.close()


def test_workers_that_start_together_open_each_products_stock_once(served_dsn):
    apps = all_at_once(4, lambda _: postgres_app_factory())
    assert not [a for a in apps if isinstance(a, Exception)], apps
    warehouse = apps[0].state.lab.inventory.store
    for product_id, units in DEMO_STOCK.items():
        opened = [r.event for r in warehouse.read_stream(stock_id_of(product_id))]
        assert [(e.product_id, e.quantity) for e in opened] == [(product_id, units)]
    assert {app.state.lab.inventory.stock_of("CRUNCHY-ARMCHAIR") for app in apps} == {5}
    for app in apps:
        app.state.lab.close()


def test_a_worker_started_later_keeps_the_stock_the_others_reserved(served_dsn):
    first = postgres_app_factory().state.lab
    first.dispatch(armchair_order())
    later = shared_stock_store(served_dsn, DEMO_STOCK)  # opens nothing again
    assert len(later.read_stream(stock_id_of("CRUNCHY-ARMCHAIR"))) == 2
    assert postgres_app_factory().state.lab.inventory.stock_of("CRUNCHY-ARMCHAIR") == 4
    later.close()
    first.close()


def test_concurrent_orders_through_two_workers_never_reserve_more_than_the_stock(served_dsn):
    labs = [postgres_app_factory().state.lab for _ in range(WORKERS)]
    for lab in labs:  # each worker has looked at the stock: both saw five armchairs free
        assert lab.inventory.stock_of("CRUNCHY-ARMCHAIR") == 5

    outcomes = all_at_once(CLIENTS, lambda n: labs[n % WORKERS].dispatch(armchair_order()))

    placed = [o for o in outcomes if isinstance(o, list)]
    refused = [o for o in outcomes if isinstance(o, InsufficientInventoryError)]
    assert len(placed) == DEMO_STOCK["CRUNCHY-ARMCHAIR"] == 5
    assert len(refused) == CLIENTS - 5, outcomes  # every other outcome a clean refusal
    stream = labs[0].inventory.store.read_stream(stock_id_of("CRUNCHY-ARMCHAIR"))
    assert [r.type for r in stream].count("StockReserved") == 5
    assert [lab.inventory.stock_of("CRUNCHY-ARMCHAIR") for lab in labs] == [0, 0]
    for lab in labs:
        lab.close()
