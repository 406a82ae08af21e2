"""Fault injection: break the delivery between event store and projector, on purpose.

Real message delivery duplicates, reorders and stops halfway; handlers meet events they
cannot digest. A :class:`FaultPlan` set on a projector (``projector.faults = FaultPlan(...)``)
makes each of those happen exactly when you say, so a notebook or a test can cause a fault,
watch the projector handle it, and check that no read model went wrong. Every fault is
explicit and one-shot (it is used up when it fires) and nothing is random: the same plan
gives the same run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cqrs_lab.breaking.damage import tamper_event, tampered_positions
from cqrs_lab.read_side.projection import ProjectionError
from cqrs_lab.write_side.event_source import EventSource
from cqrs_lab.write_side.event_store import RecordedEvent

__all__ = [
    "FaultPlan",
    "FaultyTransport",
    "InjectedCrash",
    "PoisonedEventError",
    "tamper_event",  # damaged storage lives in cqrs_lab.breaking.damage
    "tampered_positions",
]


class InjectedCrash(Exception):
    """The projector "died" where a :class:`FaultPlan` said it would.

    Attributes:
        where: ``"before commit"`` or ``"between batches"``. position: the batch's last
        event position.
    """

    def __init__(self, where: str, position: int) -> None:
        self.where = where
        self.position = position
        super().__init__(f"injected crash {where} (batch ending at position {position})")


class PoisonedEventError(ProjectionError):
    """A handler "raised" for one event because a :class:`FaultPlan` poisoned it."""


@dataclass
class FaultPlan:
    """What should go wrong in the next deliveries; each fault fires once, then is gone.

    Poison is the exception: a poisoned event fails every time until :meth:`heal` (the
    "fix"), because a real handler bug does not go away by retrying.
    """

    duplicate: set[int] = field(default_factory=set)
    """Positions to deliver twice, back to back (a redelivery the projector must ignore)."""
    reverse_batches: int = 0
    """How many of the next non-empty deliveries arrive in reverse order."""
    crash_before_commit: int = 0
    """How many of the next batches crash after their read-model writes, before commit."""
    crash_between_batches: int = 0
    """How many of the next commits are followed by a crash before the next batch."""
    poison: dict[int, str | None] = field(default_factory=dict)
    """Position -> projection whose handler raises for it (``None``: every projection)."""
    fired: list[str] = field(default_factory=list)
    """What fired, in order: a log to show or assert on."""

    # -- hooks the projector calls ---------------------------------------------------------

    def deliver(self, batch: list[RecordedEvent]) -> list[RecordedEvent]:
        """The batch as the faulty transport hands it over (duplicated, reordered)."""
        delivered: list[RecordedEvent] = []
        for recorded in batch:
            delivered.append(recorded)
            if recorded.position in self.duplicate:
                self.duplicate.discard(recorded.position)
                delivered.append(recorded)
                self.fired.append(f"delivered position {recorded.position} twice")
        if self.reverse_batches and delivered:
            self.reverse_batches -= 1  # a batch of one reversed is the same batch: used up
            delivered.reverse()
            self.fired.append(
                f"delivered positions {batch[0].position}-{batch[-1].position} in reverse"
            )
        return delivered

    def before_handle(self, projection: str, recorded: RecordedEvent) -> None:
        """Raise :class:`PoisonedEventError` if ``recorded`` is poisoned for ``projection``."""
        if recorded.position in self.poison and self.poison[recorded.position] in (
            None,
            projection,
        ):
            self.fired.append(f"{projection} handler raised at position {recorded.position}")
            raise PoisonedEventError(projection, recorded, "injected handler failure (poison)")

    def before_commit(self, batch: list[RecordedEvent]) -> None:
        """Raise :class:`InjectedCrash` if a crash before commit is due."""
        if self.crash_before_commit:
            self.crash_before_commit -= 1
            self.fired.append(f"crashed before commit at position {batch[-1].position}")
            raise InjectedCrash("before commit", batch[-1].position)

    def after_commit(self, position: int) -> None:
        """Raise :class:`InjectedCrash` if a crash between batches is due."""
        if self.crash_between_batches:
            self.crash_between_batches -= 1
            self.fired.append(f"crashed between batches after position {position}")
            raise InjectedCrash("between batches", position)

    def transport(self, source: EventSource) -> FaultyTransport:
        """``source`` behind this plan's faulty delivery (what the projector reads)."""
        return FaultyTransport(source, self)

    # -- the fix ---------------------------------------------------------------------------

    def heal(self, position: int | None = None) -> None:
        """Stop poisoning ``position`` (or every position): the handler bug is fixed."""
        if position is None:
            self.poison.clear()
        else:
            self.poison.pop(position, None)

    @property
    def pending(self) -> bool:
        """Whether any one-shot fault is still waiting to fire (poison aside)."""
        return bool(
            self.duplicate
            or self.reverse_batches
            or self.crash_before_commit
            or self.crash_between_batches
        )


class FaultyTransport:
    """The delivery between a source and the projector, broken as ``plan`` says.

    An :class:`~cqrs_lab.write_side.event_source.EventSource` itself: it reads ``source``
    and hands the batch over through :meth:`FaultPlan.deliver` (duplicated, reordered).
    The source is never changed; only what travels from it is.
    """

    def __init__(self, source: EventSource, plan: FaultPlan) -> None:
        self.source = source
        """The source this transport reads from."""
        self.plan = plan

    @property
    def head(self) -> int:
        return self.source.head

    def read_all(self, *, after: int = 0, limit: int | None = None) -> list[RecordedEvent]:
        return self.plan.deliver(list(self.source.read_all(after=after, limit=limit)))
