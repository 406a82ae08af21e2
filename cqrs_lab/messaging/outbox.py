"""The transactional outbox: a state change and the events it publishes, in one transaction.

The guide's bus saves, then publishes: two writes to two systems. A crash between them
leaves a saved order that nobody downstream ever hears of (the *dual write*). The outbox
makes publishing part of the save: the state change and a row per outgoing event are written
in **one** database transaction, so both happen or neither does. A :class:`Relay` then
reads the unpublished rows in order, publishes each, and marks it published. A relay that
dies between publishing and marking publishes that event again: delivery is at least once,
and the consumer drops the repeat by position (the projector's checkpoint does).

An event-sourced store already is an outbox: its events *are* the state change, appended
in one step, and projectors read them by position. The outbox is how a state-stored model
(a table updated in place) gets the same guarantee.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import duckdb

from cqrs_lab.breaking.faults import InjectedCrash
from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.read_side.columns import naive_utc
from cqrs_lab.write_side.event_codec import EventCodec
from cqrs_lab.write_side.event_store import RecordedEvent


class Outbox:
    """The ``outbox`` table on a connection; :meth:`add` runs inside the caller's transaction."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._codec = EventCodec()
        con.execute(
            "CREATE TABLE IF NOT EXISTS outbox (position BIGINT PRIMARY KEY, stream_id UUID, "
            "topic VARCHAR, data VARCHAR, recorded_at TIMESTAMP, published BOOLEAN)"
        )

    def add(self, events: Sequence[DomainEvent], at: datetime) -> None:
        """Queue ``events`` for publishing, in the transaction the caller has open."""
        (head,) = self.con.execute("SELECT coalesce(max(position), 0) FROM outbox").fetchone()
        for n, event in enumerate(events, head + 1):
            topic, data = self._codec.encode(event)
            self.con.execute(
                "INSERT INTO outbox VALUES (?, ?, ?, ?, ?, false)",
                [n, event.aggregate_id, topic, data, naive_utc(at)],
            )

    def unpublished(self) -> list[RecordedEvent]:
        """Events not yet marked published, oldest first."""
        rows = self.con.execute(
            "SELECT position, stream_id, topic, data, recorded_at FROM outbox "
            "WHERE NOT published ORDER BY position"
        ).fetchall()
        return [
            RecordedEvent(position, stream_id, at, self._codec.decode(topic, data))
            for position, stream_id, topic, data, at in rows
        ]

    def mark_published(self, position: int) -> None:
        self.con.execute("UPDATE outbox SET published = true WHERE position = ?", [position])


class Broker:
    """What carries events downstream: keeps every delivery, repeats included.

    An :class:`~cqrs_lab.write_side.event_source.EventSource` for a projector, which drops
    a repeated position as it drops any duplicate delivery.
    """

    def __init__(self) -> None:
        self.deliveries: list[RecordedEvent] = []

    def publish(self, recorded: RecordedEvent) -> None:
        self.deliveries.append(recorded)

    @property
    def head(self) -> int:
        return max((r.position for r in self.deliveries), default=0)

    def read_all(self, *, after: int = 0, limit: int | None = None) -> list[RecordedEvent]:
        """Deliveries of positions after ``after``, in delivery order (repeats included)."""
        if after < 0:
            raise ValueError(f"after must be >= 0, got {after}")
        wanted = [r for r in self.deliveries if r.position > after]
        return wanted if limit is None else wanted[:limit]


class Relay:
    """Publishes the outbox's unpublished events in order, marking each after it is sent.

    ``crash_after_publish``: how many of the next publishes are followed by a crash before
    the mark (a one-shot fault, as in :class:`~cqrs_lab.FaultPlan`).
    """

    def __init__(self, outbox: Outbox, broker: Broker, *, crash_after_publish: int = 0) -> None:
        self.outbox = outbox
        self.broker = broker
        self.crash_after_publish = crash_after_publish

    def run(self) -> int:
        """Publish everything unpublished; returns how many were published.

        Raises:
            InjectedCrash: where ``crash_after_publish`` says, after a publish, before its mark.
        """
        published = 0
        for recorded in self.outbox.unpublished():
            self.broker.publish(recorded)
            published += 1
            if self.crash_after_publish:
                self.crash_after_publish -= 1
                raise InjectedCrash("between publish and mark", recorded.position)
            self.outbox.mark_published(recorded.position)
        return published
