"""The flow view's tokens: every message a token that moves one stage per step.

A small, pure state machine (no lab, no widgets), so a test can drive it step by step:

- a **command** token walks ``command -> bus -> handler -> aggregate -> event store``;
  there it becomes one **event** token per stored event, waiting (that wait is the lag);
  a refused command stops, red, at the stage that refused it, with the error;
- the projector takes an event (:func:`project`): its token moves to ``projector``, and on
  the next step lands as a **row** token in every read model that reads its type;
- a **query** token goes from ``query`` to the read model that answers it.

Each function returns a new :class:`FlowState`; nothing is changed in place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

WRITE_PATH = ("command", "bus", "handler", "aggregate", "event store")
"""Where a command goes, one stage per step, until it is stored or refused."""
PROJECTOR = "projector"
QUERY = "query"
#: Steps a landed row, an answered query or a refused command stays on the diagram.
KEEP_LANDED, KEEP_REFUSED = 3, 6


@dataclass(frozen=True)
class Token:
    """One message on the diagram."""

    id: int
    kind: str
    """``"command"``, ``"event"``, ``"row"`` or ``"query"``."""
    label: str
    stage: str
    """Where it is: a stage of :data:`WRITE_PATH`, ``"projector"``, a read model, ``"query"``."""
    status: str = "moving"
    """``moving``, ``waiting`` (stored, not projected), ``rejected``, ``failed`` (the
    projector could not apply it), ``landed`` (a row changed) or ``answered``."""
    error: str = ""
    positions: tuple[int, ...] = ()
    """A command's stored events, or an event's (a row's) position."""
    stop_at: str | None = None
    """The stage that refuses this command (None: it is accepted)."""
    events: tuple[str, ...] = ()
    """The types of the events a command stored (one per position)."""
    age: int = 0
    """Steps since it stopped moving."""


@dataclass(frozen=True)
class FlowState:
    """Every token on the diagram, and what the flow has sent so far."""

    tokens: tuple[Token, ...] = ()
    next_id: int = 1
    sent: int = 0
    refused: int = 0
    asked: int = 0
    steps: int = 0
    notes: tuple[str, ...] = field(default=())
    """What happened in the last step, one line each (shown under the diagram)."""

    def at(self, stage: str) -> list[Token]:
        """The tokens at ``stage``, oldest first."""
        return [t for t in self.tokens if t.stage == stage]

    @property
    def in_flight(self) -> set[int]:
        """Positions of events whose command token has not reached the store yet."""
        return {p for t in self.tokens if t.kind == "command" for p in t.positions}


def send_command(
    state: FlowState,
    name: str,
    *,
    positions: tuple[int, ...] = (),
    events: tuple[str, ...] = (),
    refused_at: str | None = None,
    error: str = "",
) -> FlowState:
    """A command token at ``command``; refused at ``command`` itself (invalid), it is red now.

    Raises:
        ValueError: if ``refused_at`` is not a stage of :data:`WRITE_PATH`.
    """
    if refused_at is not None and refused_at not in WRITE_PATH:
        raise ValueError(f"refused_at must be one of {WRITE_PATH}, got {refused_at!r}")
    token = Token(
        state.next_id,
        "command",
        name,
        "command",
        "rejected" if refused_at == "command" else "moving",
        error,
        tuple(positions),
        refused_at,
        tuple(events),
    )
    return replace(
        state,
        tokens=(*state.tokens, token),
        next_id=state.next_id + 1,
        sent=state.sent + 1,
        refused=state.refused + (refused_at is not None),
    )


def send_query(state: FlowState, name: str, answer: str, read_model: str) -> FlowState:
    """A query token at ``query``; next step it reaches ``read_model`` with ``answer``."""
    token = Token(state.next_id, "query", name, QUERY, "moving", answer, (), read_model)
    return replace(
        state, tokens=(*state.tokens, token), next_id=state.next_id + 1, asked=state.asked + 1
    )


def tick(state: FlowState, readers: Callable[[str], tuple[str, ...]]) -> FlowState:
    """One step: every moving token moves one stage; tokens at rest age (and leave).

    ``readers(event_type)`` names the read models that read an event type.
    """
    tokens: list[Token] = []
    next_id = state.next_id
    notes: list[str] = []
    for token in state.tokens:
        if token.status != "moving" and token.status != "waiting":
            keep = KEEP_REFUSED if token.status in ("rejected", "failed") else KEEP_LANDED
            if token.age + 1 < keep:
                tokens.append(replace(token, age=token.age + 1))
            continue
        if token.kind == "command":
            stage = WRITE_PATH[WRITE_PATH.index(token.stage) + 1]
            if stage == token.stop_at:
                tokens.append(replace(token, stage=stage, status="rejected"))
                notes.append(f"{token.label} refused at the {stage}: {token.error}")
            elif stage == "event store":
                for position, name in zip(token.positions, token.events):
                    tokens.append(
                        Token(next_id, "event", name, stage, "waiting", positions=(position,))
                    )
                    next_id += 1
                notes.append(f"{token.label} stored {len(token.events)} event(s)")
            else:
                tokens.append(replace(token, stage=stage))
        elif token.kind == "event" and token.stage == PROJECTOR:
            read_models = readers(token.label)
            for read_model in read_models:
                tokens.append(
                    Token(next_id, "row", token.label, read_model, "landed", "", token.positions)
                )
                next_id += 1
            if read_models:
                notes.append(f"{token.label} @{token.positions[0]} landed in {read_models}")
        elif token.kind == "query" and token.stage == QUERY:
            tokens.append(replace(token, stage=token.stop_at or QUERY, status="answered"))
            notes.append(f"{token.label} answered: {token.error}")
        else:
            tokens.append(token)  # waiting in the store until the projector takes it
    return replace(
        state, tokens=tuple(tokens), next_id=next_id, steps=state.steps + 1, notes=tuple(notes)
    )


def project(state: FlowState, positions: range | list[int], error: str = "") -> FlowState:
    """The projector took ``positions``: their waiting tokens move to ``projector``
    (red and ``failed``, with the ``error``, if it could not apply them)."""
    taken = set(positions)
    if not taken:
        return state
    status = "failed" if error else "moving"
    span = f"@{min(taken)}" + (f"-{max(taken)}" if len(taken) > 1 else "")
    note = f"projector could not apply {span}: {error}" if error else f"projector took {span}"
    tokens = tuple(
        replace(t, stage=PROJECTOR, status=status, error=error)
        if t.kind == "event" and t.status == "waiting" and t.positions[0] in taken
        else t
        for t in state.tokens
    )
    return replace(state, tokens=tokens, notes=(*state.notes, note))


def note(state: FlowState, text: str) -> FlowState:
    """``state`` with one more note under the diagram (what happened this step)."""
    return replace(state, notes=(*state.notes, text))


def forget_projected(state: FlowState, projected_to: int) -> FlowState:
    """Drop waiting tokens the projector applied outside the flow (a catch-up elsewhere)."""
    tokens = tuple(
        t
        for t in state.tokens
        if not (t.kind == "event" and t.status == "waiting" and t.positions[0] <= projected_to)
    )
    return replace(state, tokens=tokens)
