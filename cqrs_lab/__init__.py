"""cqrs_lab: a small, runnable CQRS and event-sourcing library for learning.

The core here knows nothing about orders: messages, the two buses, the aggregate base,
the event store, projections and the projector, clocks and ids. The seed's example
domain lives in :mod:`cqrs_lab.orders`; charts and widgets in :mod:`cqrs_lab.presentation`.
"""

from cqrs_lab.breaking.consistency_check import ConsistencyReport, check_consistency
from cqrs_lab.breaking.damage import tamper_event
from cqrs_lab.breaking.delivery import DeliveryIncident, DeliveryStalledError
from cqrs_lab.breaking.faults import FaultPlan, InjectedCrash, PoisonedEventError
from cqrs_lab.messaging.command_bus import CommandBus, CommandHandler, CommandIdReusedError
from cqrs_lab.messaging.messages import Command, DomainEvent, Query
from cqrs_lab.messaging.publisher import EventPublisher
from cqrs_lab.messaging.query_bus import QueryBus, WriteModelAccessError
from cqrs_lab.messaging.registry import NoHandlerFoundError
from cqrs_lab.observing.lag_monitor import LagAlert, LagMonitor
from cqrs_lab.observing.progress import ProgressBar
from cqrs_lab.observing.timeline import Timeline, TimelineEntry
from cqrs_lab.read_side.blue_green import BlueGreenRebuild
from cqrs_lab.read_side.projection import (
    Projection,
    ProjectionError,
    RowProjection,
    Table,
    TableRows,
    TablesProjection,
)
from cqrs_lab.read_side.projector import BatchCommitted, Lag, Projector
from cqrs_lab.read_side.read_db import ReadOnlyConnection, ReadOnlyError
from cqrs_lab.read_side.time_travel import read_models_as_of
from cqrs_lab.time_and_ids.clock import Clock, SimulatedClock, SystemClock
from cqrs_lab.time_and_ids.ids import RandomIds, SeededIds
from cqrs_lab.write_side.aggregate import Aggregate
from cqrs_lab.write_side.event_source import EventSource
from cqrs_lab.write_side.event_store import ConcurrencyError, InMemoryEventStore, RecordedEvent
from cqrs_lab.write_side.postgres_event_store import PostgresEventStore
from cqrs_lab.write_side.repository import AggregateNotFoundError, EventSourcedRepository
from cqrs_lab.write_side.sqlite_event_store import SQLiteEventStore

__all__ = [
    "Aggregate",
    "AggregateNotFoundError",
    "BatchCommitted",
    "BlueGreenRebuild",
    "Clock",
    "Command",
    "CommandBus",
    "CommandHandler",
    "CommandIdReusedError",
    "ConcurrencyError",
    "ConsistencyReport",
    "DeliveryIncident",
    "DeliveryStalledError",
    "DomainEvent",
    "EventPublisher",
    "EventSource",
    "EventSourcedRepository",
    "FaultPlan",
    "InMemoryEventStore",
    "InjectedCrash",
    "Lag",
    "LagAlert",
    "LagMonitor",
    "NoHandlerFoundError",
    "PoisonedEventError",
    "ProgressBar",
    "PostgresEventStore",
    "Projection",
    "ProjectionError",
    "Projector",
    "Query",
    "QueryBus",
    "RandomIds",
    "ReadOnlyConnection",
    "ReadOnlyError",
    "RecordedEvent",
    "RowProjection",
    "TableRows",
    "TablesProjection",
    "SQLiteEventStore",
    "SeededIds",
    "SimulatedClock",
    "SystemClock",
    "Table",
    "Timeline",
    "TimelineEntry",
    "WriteModelAccessError",
    "check_consistency",
    "read_models_as_of",
    "tamper_event",
]
