"""``build_lab``: the composition root that wires the seed's order system together.

Everything is built inside the function (never at import time), so each call gives an
independent lab, and tests can pass their own clock, catalogue or settings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

import duckdb
import pandas as pd

from cqrs_lab.breaking.dead_letters import DeadLetterPolicy
from cqrs_lab.breaking.faults import FaultPlan
from cqrs_lab.messaging.command_bus import CommandBus
from cqrs_lab.messaging.messages import Command, DomainEvent, Query
from cqrs_lab.messaging.publisher import EventPublisher
from cqrs_lab.messaging.query_bus import QueryBus
from cqrs_lab.observing.frames import events_frame
from cqrs_lab.observing.lag_monitor import LagMonitor
from cqrs_lab.observing.timeline import Timeline
from cqrs_lab.orders.catalogue import DEMO_CUSTOMERS, DEMO_STOCK, LIST_PRICES
from cqrs_lab.orders.commands import CancelOrder, CreateOrder, ShipOrder
from cqrs_lab.orders.fulfilment import OrderFulfilment
from cqrs_lab.orders.fulfilment_wiring import register_saga_commands
from cqrs_lab.orders.handlers import CancelOrderHandler, CreateOrderHandler, ShipOrderHandler
from cqrs_lab.orders.lab_folder import SNAPSHOTS_FILE, STOCK_FILE, ids_after, open_lab_folder
from cqrs_lab.orders.order import Order
from cqrs_lab.orders.projections import CustomerStatsProjection, OrderProjection
from cqrs_lab.orders.queries import (
    GetCustomerStats,
    GetCustomerStatsHandler,
    GetOrderById,
    GetOrderByIdHandler,
    GetOrdersByCustomer,
    GetOrdersByCustomerHandler,
)
from cqrs_lab.orders.services import CustomerService, InventoryService, PriceList
from cqrs_lab.orders.upcasting import order_upcasters
from cqrs_lab.read_side.projection import Projection
from cqrs_lab.read_side.projector import Lag, Projector
from cqrs_lab.read_side.read_db import ReadOnlyConnection
from cqrs_lab.read_side.time_travel import read_models_as_of
from cqrs_lab.time_and_ids.clock import Clock, SimulatedClock
from cqrs_lab.time_and_ids.ids import IdSource
from cqrs_lab.write_side.event_store import InMemoryEventStore
from cqrs_lab.write_side.postgres_event_store import PostgresEventStore
from cqrs_lab.write_side.repository import EventSourcedRepository
from cqrs_lab.write_side.snapshot_file import SQLiteSnapshots
from cqrs_lab.write_side.sqlite_event_store import SQLiteEventStore
from cqrs_lab.write_side.upcasting import MissingUpcasterError, Upcasters

Consistency = Literal["async", "inline"]
READ_MODELS = ("order_summary", "customer_stats")
EventStore = InMemoryEventStore | SQLiteEventStore | PostgresEventStore


@dataclass(frozen=True)
class Catalogue:
    """What the lab sells and to whom: customers, stock (as the lab opened) and list prices.

    Stock moves as orders reserve it: ask ``lab.inventory.stock_of(product)`` for what is
    free now."""

    customers: dict[UUID, str]
    stock: dict[str, int]
    prices: dict[str, float]


@dataclass(eq=False)
class Lab:
    """A running CQRS system: both buses, the event store, the projector and DuckDB.

    Use ``await lab.command_bus.dispatch(...)`` as the seed does, or the synchronous
    shortcuts :meth:`dispatch` and :meth:`query` from code without an event loop.
    """

    clock: Clock
    ids: IdSource
    event_store: EventStore
    command_bus: CommandBus
    query_bus: QueryBus
    projector: Projector
    read_db: ReadOnlyConnection
    """Reads every read model; DuckDB refuses any write through it, and any file access
    (see :mod:`cqrs_lab.read_side.read_db`). The projector holds the only writable connection."""
    customers: CustomerService
    inventory: InventoryService
    catalogue: Catalogue
    orders: EventSourcedRepository[Order]
    """The write side's repository (for teaching; queries must not use it)."""
    timeline: Timeline
    lag_monitor: LagMonitor
    consistency: Consistency = "async"
    """``"async"``: the projector runs when told. ``"inline"``: after every command."""
    path: Path | None = None
    """The folder that keeps this lab (``build_lab(path=...)``), or None for a lab in memory."""
    _projecting: bool = field(default=False, init=False, repr=False)
    projection_errors: list[Exception] = field(default_factory=list, repr=False)
    """Errors the inline projector met after a command was stored (newest last): the command
    stands, its read models lag behind (``lag()``) until the projection is fixed."""

    # -- shortcuts --------------------------------------------------------------------

    def dispatch(self, command: Command) -> list[DomainEvent]:
        """Dispatch a command without an event loop (same pipeline as the async bus)."""
        return self.command_bus.dispatch_sync(command)

    def query(self, query: Query) -> Any:
        """Dispatch a query without an event loop."""
        return self.query_bus.dispatch_sync(query)

    def catch_up(self) -> int:
        """Run the projector until every read model has every event; returns events applied."""
        was, self._projecting = self._projecting, True  # see _after_publish
        try:
            return self.projector.catch_up()
        finally:
            self._projecting = was

    def lag(self) -> Lag:
        """How far the read side is behind right now."""
        return self.projector.lag()

    def add_read_model(self, projection: Projection) -> None:
        """Start a new projection on the running lab (it starts from position 0)."""
        self.projector.add(projection)

    def close(self) -> None:
        """Close the read-model database and a durable event store (their files stay)."""
        self.projector.connection.close()
        for store in {id(s): s for s in (self.event_store, self.inventory.store)}.values():
            if not isinstance(store, InMemoryEventStore):
                store.close()

    # -- views ------------------------------------------------------------------------

    def events(self, *, after: int = 0) -> pd.DataFrame:
        """The event stream as a DataFrame (position, stream_id, version, type, recorded_at, data)."""
        return events_frame(self.event_store.read_all(after=after))

    def read_model(self, name: str) -> pd.DataFrame:
        """A read-model table as a DataFrame, e.g. ``"order_summary"``."""
        return self.read_db.table(name)

    def read_model_as_of(self, name: str, position: int) -> pd.DataFrame:
        """A read model as it was when the store's head was ``position`` (time travel)."""
        as_of = read_models_as_of(self.event_store, self.projector.projections.values(), position)
        return as_of.table(name)

    # -- wiring callbacks -------------------------------------------------------------

    def _after_publish(self, event: DomainEvent) -> None:
        if self.consistency != "inline" or self._projecting:
            # A saga's commands are published from inside a catch-up, which goes on to
            # project their events itself: starting another would nest two transactions.
            return
        self._projecting = True
        try:
            self.projector.catch_up()
        except Exception as error:
            # The command's events are stored: it succeeded. Failing the dispatch would invite
            # a retry that stores the order twice. The read side is behind; say so here.
            self.projection_errors.append(error)
        finally:
            self._projecting = False


def build_lab(
    *,
    seed: int = 42,
    clock: Clock | None = None,
    ids: IdSource | None = None,
    customers: Mapping[UUID, str] | None = None,
    stock: Mapping[str, int] | None = None,
    prices: Mapping[str, float] | None = None,
    consistency: Consistency = "async",
    read_models: Iterable[str] = READ_MODELS,
    batch_size: int | None = None,
    database: str | duckdb.DuckDBPyConnection = ":memory:",
    max_events_behind: int | None = 10,
    record_history: bool = True,
    dead_letter_policy: DeadLetterPolicy = "raise",
    faults: FaultPlan | None = None,
    command_retries: int = 0,
    event_store: EventStore | None = None,
    path: str | Path | None = None,
    saga: bool = False,
    stock_store: EventStore | None = None,
    upcasters: Upcasters | None = None,
) -> Lab:
    """Build a lab: the seed's order system on a simulated clock with seeded ids.

    Args:
        seed: seeds the id source, so ids repeat from run to run.
        clock: defaults to a fresh :class:`SimulatedClock`.
        customers, stock, prices: replace the demo catalogue. Orders pay ``prices`` (by
            default the lab's list prices, :data:`LIST_PRICES`); stock is reserved by
            each order and given back when it is cancelled.
        consistency: ``"async"`` (default) or ``"inline"`` (read-your-writes).
        read_models: which of ``order_summary`` and ``customer_stats`` to run.
        batch_size: events per ``catch_up`` transaction; None (default): as many as are
            pending, up to 50,000 at a time (the fast path). Set it small to watch batches.
        database: DuckDB database (in memory by default), or an open connection to use.
        max_events_behind: the lag monitor's alert threshold.
        record_history: keep the timeline and lag samples (turn off for big benchmarks).
        dead_letter_policy: what a poison event does: ``"raise"``, ``"stop"`` or ``"skip"``.
        faults: a :class:`~cqrs_lab.FaultPlan` to break delivery on purpose.
        command_retries: how often the command bus retries after a ``ConcurrencyError``.
        event_store: the store to write to (default: a new :class:`InMemoryEventStore`);
            the lab's clock defaults to the store's, which stamps ``recorded_at``, and a
            store that holds events gets seeded ids it has not used (see ``ids_after``).
        path: a folder that keeps the lab (events in SQLite, read models in DuckDB);
            building it again continues where it stopped: same events and read models, a
            clock that starts after the last event, ids never handed out before. Read
            models ahead of the events, or from another lab, are refused.
        saga: a saga reserves each order's stock after it is placed, then confirms or
            declines it (notebook 12): stock streams share the lab's log, and the
            ``order_fulfilment`` process manager runs with the read models.
        upcasters: how a durable store reads events stored in older shapes (default:
            ``order_upcasters()``); a stored version none of them reads is refused here,
            naming the event type and version, not when a read meets it.
        stock_store: where the stock streams live, for labs in several processes that
            must share one warehouse (``postgres_app_factory``: one per API worker).
            Default: a store of their own in memory; ``stock.sqlite`` in a kept lab.

    The lab's clock and ids are its own: its bus stamps the commands it is sent and runs
    their handlers on them; building another lab changes nothing here.
    """
    if consistency not in ("async", "inline"):
        raise ValueError(f"consistency must be 'async' or 'inline', got {consistency!r}")
    folder = None
    if path is not None:
        if event_store is not None or database != ":memory:":
            raise ValueError("path= keeps its own event store and database; pass neither")
        if stock_store is not None:
            raise ValueError(f"path= keeps its stock in {STOCK_FILE}; pass no stock_store=")
        folder = open_lab_folder(path)
        event_store, database = folder.event_store, folder.read_models
    if event_store is not None and not isinstance(event_store, InMemoryEventStore):
        try:  # every stored (type, version) readable now, or refused now
            event_store.use_upcasters(upcasters or order_upcasters())
        except MissingUpcasterError:
            if folder is not None:
                folder.close()
            raise
    if folder is not None:
        clock = clock or folder.resumed_clock()
        event_store.clock = clock
    clock = clock or (event_store.clock if event_store is not None else SimulatedClock())
    ids = ids or ids_after(seed, event_store.head if event_store is not None else 0)

    customer_service = CustomerService(DEMO_CUSTOMERS if customers is None else customers)
    event_store = event_store if event_store is not None else InMemoryEventStore(clock)
    # Stock streams live in a store of their own (the warehouse's), so the order log reads
    # as it did before stock was taken; with a saga they share the lab's log.
    if saga and stock_store is not None:
        raise ValueError("saga=True keeps stock in the lab's own log; pass no stock_store=")
    warehouse = stock_store if stock_store is not None else InMemoryEventStore(clock)
    if saga:
        warehouse = event_store
    if folder is not None and not saga:  # a kept lab keeps what its orders reserved
        warehouse = SQLiteEventStore(Path(path) / STOCK_FILE, clock)
    # A kept lab keeps its stock snapshots too: reopening it never replays a whole stream.
    snapshots = SQLiteSnapshots(Path(path) / SNAPSHOTS_FILE) if folder is not None else None
    inventory = InventoryService(
        DEMO_STOCK if stock is None else stock, warehouse, snapshots=snapshots
    )
    if prices is None:
        prices = {p: LIST_PRICES[p] for p in inventory.products if p in LIST_PRICES}
    price_list = PriceList(prices)
    catalogue = Catalogue(customer_service.all(), inventory.all(), price_list.all())

    orders = EventSourcedRepository(event_store, Order)
    command_bus = CommandBus(EventPublisher(), retries=command_retries, clock=clock, ids=ids)
    command_bus.register(
        CreateOrder,
        CreateOrderHandler(orders, inventory, customer_service, price_list, reserve_stock=not saga),
    )
    command_bus.register(CancelOrder, CancelOrderHandler(orders, None if saga else inventory))
    command_bus.register(ShipOrder, ShipOrderHandler(orders))
    if saga:
        register_saga_commands(command_bus, event_store, orders, inventory.stocks)

    connection = duckdb.connect(database) if isinstance(database, str) else database
    available = {
        "order_summary": lambda: OrderProjection(customer_service),
        "customer_stats": lambda: CustomerStatsProjection(customer_service),
    }
    if saga:
        available["order_fulfilment"] = lambda: OrderFulfilment(command_bus)
        read_models = [*read_models, "order_fulfilment"]
    unknown = set(read_models) - set(available)
    if unknown:
        raise ValueError(f"unknown read models {sorted(unknown)}; choose from {list(available)}")
    projector = Projector(
        event_store,
        connection,
        projections=[available[name]() for name in read_models],
        clock=clock,
        batch_size=batch_size,
        dead_letter_policy=dead_letter_policy,
        faults=faults,
    )
    if folder is not None:
        folder.refuse_read_models_ahead(projector.checkpoints())
    read_db = ReadOnlyConnection(connection)
    query_bus = QueryBus()
    query_bus.register(GetOrderById, GetOrderByIdHandler(read_db))
    query_bus.register(GetOrdersByCustomer, GetOrdersByCustomerHandler(read_db))
    query_bus.register(GetCustomerStats, GetCustomerStatsHandler(read_db))

    timeline = Timeline(clock)
    lag_monitor = LagMonitor(projector, max_events_behind=max_events_behind)
    lab = Lab(
        clock=clock,
        ids=ids,
        event_store=event_store,
        command_bus=command_bus,
        query_bus=query_bus,
        projector=projector,
        read_db=read_db,
        customers=customer_service,
        inventory=inventory,
        catalogue=catalogue,
        orders=orders,
        timeline=timeline,
        lag_monitor=lag_monitor,
        consistency=consistency,
        path=None if folder is None else folder.path,
    )
    command_bus.event_publisher.subscribe(lab._after_publish)
    if record_history:
        timeline.attach(command_bus, event_store, projector)
        command_bus.observers.append(lambda *_: lag_monitor.sample())
        projector.observers.append(lambda _: lag_monitor.sample())
    return lab
