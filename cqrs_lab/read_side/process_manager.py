"""Process managers (sagas): read models that answer events with commands.

A process manager folds events into its own state, one row per process, exactly as a
:class:`~cqrs_lab.read_side.projection.RowProjection` does, and the projector runs it like
any projection: catch-up, batches, checkpoints, faults and dead letters all apply. What
it adds is :meth:`ProcessManager.send`: while applying an event, it may send commands.

**Exactly once in effect.** The state and the checkpoint commit in one DuckDB
transaction, but a command goes to the write side, which that transaction cannot cover.
So each command's id is *derived* from what caused it: the process manager's name, the
event's stream and version, and the command itself (type and fields). If the
projector dies after a command was sent and before the checkpoint moved, the event is
delivered again, the same command is sent again *with the same id*, and the write side
answers it as a resend (the command bus remembers it; beyond its memory the event store
refuses the id a second time): nothing is done twice, and nothing is lost, because the
checkpoint only moves after every command of the batch was sent.

For that to hold, a process manager decides only from its row and the event (never from
the clock or a fresh id), so a redelivered event sends the very same commands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID, uuid5

from cqrs_lab.messaging.command_bus import CommandBus
from cqrs_lab.messaging.messages import Command, DomainEvent
from cqrs_lab.read_side.projection import RowProjection

COMMAND_IDS = UUID("5a9a0000-0000-4000-8000-00000000c0de")
"""Namespace of the command ids process managers derive (``uuid5``)."""


def command_id_for(process: str, event: DomainEvent, command: Command) -> UUID:
    """The id of ``command`` sent by ``process`` in answer to ``event``: the same however
    often the event is delivered (and one id for two identical answers to one event)."""
    content = command.model_dump_json(exclude={"command_id", "timestamp", "user_id"})
    cause = f"{process}/{event.aggregate_id}/{event.version}/{type(command).__name__}"
    return uuid5(COMMAND_IDS, f"{cause}/{content}")


@dataclass(frozen=True)
class Sent:
    """One command a process manager sent, and what became of it."""

    command: Command
    caused_by: str
    """The event type that caused it."""
    outcome: str
    """``"done"``, ``"resend"`` (answered from the first send) or ``"refused: ..."``."""


class ProcessManager(RowProjection):
    """A :class:`RowProjection` whose ``apply`` may call :meth:`send`.

    Set ``bus`` (the command bus the commands go to) before the projector runs it.
    ``refusals`` lists the errors that are an *answer*, not a failure: a command the write
    side refuses because the world moved on (say, confirming an order the customer just
    cancelled) is logged and the process goes on; any other error fails the batch, which
    is rolled back and retried like any projection's.
    """

    refusals: ClassVar[tuple[type[Exception], ...]] = ()

    def __init__(self, bus: CommandBus | None = None) -> None:
        self.bus = bus
        """Where commands go."""
        self.sent: list[Sent] = []
        """Every send, in order, resends included (for timelines and tests)."""

    def send(self, event: DomainEvent, command: Command) -> None:
        """Send ``command`` in answer to ``event``, with the id derived from both."""
        if self.bus is None:
            raise RuntimeError(f"{self.name} has no command bus to send {type(command).__name__}")
        command_id = command_id_for(self.name, event, command)
        command = command.model_copy(update={"command_id": command_id})
        resends = self.bus.resends
        try:
            self.bus.dispatch_sync(command)
        except self.refusals as refused:
            outcome = f"refused: {refused}"
        else:
            outcome = "resend" if self.bus.resends > resends else "done"
        self.sent.append(Sent(command, type(event).__name__, outcome))
