"""Message types: commands ask, events tell, queries read.

All three are immutable pydantic models: a message is a fact about one moment, and
letting code change it after it was sent would make the event stream lie.
"""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from cqrs_lab.time_and_ids import defaults


class Message(BaseModel):
    """Base of every message: frozen, and unknown fields are an error, not ignored."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Command(Message):
    """An intention to change the system, named in the imperative (``CancelOrder``).

    The metadata mirrors the seed: who asked, when, and a unique id that lets the bus
    recognise a resent command. A command built without them has none yet: it belongs to
    no lab until it is sent, and the bus that first handles it stamps both from its lab's
    ids and clock (on the command itself, once). Give them explicitly to send the same
    request again from a new object (a client retrying over HTTP does).
    """

    command_id: UUID | None = None
    """Unique per command; resending the same id is the same request. None until sent."""
    timestamp: datetime | None = None
    """When the command was sent, on the lab's clock. None until sent."""
    user_id: UUID | None = None
    """Who issued it, if known."""


class Query(Message):
    """A question to the read side, named ``Get...``; it never changes anything."""


class DomainEvent(Message):
    """Something that happened, named in the past tense (``OrderCancelled``).

    Every event knows which aggregate it belongs to and its place in that aggregate's
    stream. Aggregates create events without a version; ``Aggregate._raise_event``
    stamps the next one, so a hand-built event cannot claim a slot by accident.
    """

    version: int = Field(default=0, ge=0)
    """Position in the aggregate's own stream: 1 for its first event, 2 for the next..."""
    occurred_at: datetime = Field(default_factory=defaults.now)
    """When it happened: on the clock of the lab whose bus is handling the command (see
    :mod:`cqrs_lab.time_and_ids.defaults`)."""

    @property
    @abstractmethod
    def aggregate_id(self) -> UUID:
        """Id of the aggregate whose stream holds this event."""


def share_fields_set(message: BaseModel, known: dict[type, list[set[str]]]) -> BaseModel:
    """Point ``message`` (and the models in its fields) at shared copies of their sets of
    given field names; returns it.

    Every pydantic model carries its own ``__pydantic_fields_set__``, a set of ~200-700
    bytes that the collector must also walk. Models of one type nearly always have the same
    set, so a holder of many messages (the event store) keeps one copy per distinct set in
    ``known``; a model held in a field (an order's shipping address) is shared the same way.
    Nothing observable changes: pydantic only reads the set, and copies it before changing
    a copy (``model_copy``).
    """
    kind = type(message)
    fields_set = message.__pydantic_fields_set__
    shared_sets = known.get(kind)
    if shared_sets is None:
        known[kind] = [fields_set]
    elif (first := shared_sets[0]) == fields_set:  # the usual case: the type's first set
        if first is not fields_set:
            object.__setattr__(message, "__pydantic_fields_set__", first)
    else:
        for shared in shared_sets:
            if shared == fields_set:
                object.__setattr__(message, "__pydantic_fields_set__", shared)
                break
        else:
            shared_sets.append(fields_set)
    for name in nested_model_fields(kind):
        value = message.__dict__.get(name)
        if isinstance(value, BaseModel):
            share_fields_set(value, known)
    return message


_MODEL_FIELDS: dict[type, tuple[str, ...]] = {}
"""Per model type, the fields declared to hold a model (see :func:`share_fields_set`)."""


def nested_model_fields(kind: type[BaseModel]) -> tuple[str, ...]:
    """The fields of model type ``kind`` declared to hold a model (an order's shipping
    address), worked out once per type: what a holder of many messages looks into."""
    nested = _MODEL_FIELDS.get(kind)
    if nested is None:
        nested = _MODEL_FIELDS[kind] = _model_fields_of(kind)
    return nested


def _model_fields_of(kind: type[BaseModel]) -> tuple[str, ...]:
    return tuple(
        name
        for name, field in kind.model_fields.items()
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
    )
