"""cqrs_lab: a small, runnable CQRS and event-sourcing library for learning.

The core here knows nothing about orders: messages, the two buses, the aggregate base,
the event store, projections and the projector, clocks and ids. The seed's example
domain lives in :mod:`cqrs_lab.orders`; charts and widgets in :mod:`cqrs_lab.presentation`.
"""

from cqrs_lab.aggregate import Aggregate
from cqrs_lab.blue_green import BlueGreenRebuild
from cqrs_lab.clock import Clock, SimulatedClock, SystemClock
from cqrs_lab.command_bus import CommandBus, CommandHandler, CommandIdReusedError
from cqrs_lab.consistency_check import ConsistencyReport, check_consistency
from cqrs_lab.delivery import DeliveryIncident
from cqrs_lab.event_store import ConcurrencyError, InMemoryEventStore, RecordedEvent
from cqrs_lab.faults import FaultPlan, InjectedCrash, PoisonedEventError, tamper_event
from cqrs_lab.ids import RandomIds, SeededIds
from cqrs_lab.lag_monitor import LagAlert, LagMonitor
from cqrs_lab.messages import Command, DomainEvent, Query
from cqrs_lab.projection import Projection, ProjectionError, RowProjection, Table
from cqrs_lab.projector import BatchCommitted, Lag, Projector
from cqrs_lab.publisher import EventPublisher
from cqrs_lab.query_bus import QueryBus, WriteModelAccessError
from cqrs_lab.read_db import ReadOnlyConnection, ReadOnlyError
from cqrs_lab.registry import NoHandlerFoundError
from cqrs_lab.repository import AggregateNotFoundError, EventSourcedRepository
from cqrs_lab.time_travel import read_models_as_of
from cqrs_lab.timeline import Timeline, TimelineEntry

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
    "DomainEvent",
    "EventPublisher",
    "EventSourcedRepository",
    "FaultPlan",
    "InMemoryEventStore",
    "InjectedCrash",
    "Lag",
    "LagAlert",
    "LagMonitor",
    "NoHandlerFoundError",
    "PoisonedEventError",
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
