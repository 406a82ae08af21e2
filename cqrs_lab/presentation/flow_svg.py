"""The flow view's picture: the guide's architecture as SVG, with the tokens where they are.

``command -> bus -> handler -> aggregate -> event store -> projector -> read models <- query``,
one box per stage, each with its live count (commands sent, head, the projector's position
and lag, rows per read model), and under each box the tokens that are there now. A pure
function of a :class:`~cqrs_lab.presentation.flow_tokens.FlowState` and :class:`FlowCounts`,
so tests read the same markup the browser shows.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from html import escape

from cqrs_lab.presentation import palette
from cqrs_lab.presentation.flow_tokens import PROJECTOR, QUERY, WRITE_PATH, FlowState, Token

BOX_W, BOX_H, STRIDE, TOP = 104, 64, 128, 34
PILL_H, PILL_GAP, MAX_PILLS = 16, 3, 6
TOKEN_COLOURS = {
    "command": palette.COMMAND,
    "event": palette.EVENT,
    "row": palette.READ_MODEL,
    "query": "#8b5cf6",
}
"""Fill per token kind (the palette's blue, orange and green; queries purple, to read on
white: the palette's query grey is a box colour)."""
REFUSED_COLOUR = palette.REJECTED
TITLES = {
    "command": "Command",
    "bus": "Command bus",
    "handler": "Handler",
    "aggregate": "Aggregate",
    "event store": "Event store",
    PROJECTOR: "Projector",
    QUERY: "Query",
}


@dataclass(frozen=True)
class FlowCounts:
    """The live numbers the diagram shows, read from the lab."""

    head: int
    position: int
    lag_events: int
    lag_seconds: float
    streams: int
    rows: dict[str, int]
    """Rows per read model (its main table)."""
    checkpoints: dict[str, int]
    clock: str = ""
    paused: bool = False
    """The playground's projector is paused: events wait in the store."""


def stage_order(read_models: list[str]) -> list[str]:
    """Every stage, left to right."""
    return [*WRITE_PATH, PROJECTOR, *read_models, QUERY]


def _stage_text(stage: str, state: FlowState, counts: FlowCounts) -> str:
    match stage:
        case "command":
            return f"sent {state.sent} · refused {state.refused}"
        case "aggregate":
            return f"{counts.streams} streams"
        case "event store":
            return f"head {counts.head}"
        case "projector":
            return f"at {counts.position}" + (" · paused" if counts.paused else "")
        case "query":
            return f"asked {state.asked}"
    if stage in counts.rows:
        return f"{counts.rows[stage]} rows · @{counts.checkpoints.get(stage, 0)}"
    return ""


def _box(stage: str, x: float, state: FlowState, counts: FlowCounts) -> str:
    title = TITLES.get(stage, stage)
    kind = "read-model" if stage in counts.rows else stage.replace(" ", "-")
    return (
        f'<g class="cqrs-stage cqrs-stage-{kind}" data-stage="{escape(stage)}">'
        f'<rect x="{x}" y="{TOP}" width="{BOX_W}" height="{BOX_H}" rx="8" '
        'fill="#f8fafc" stroke="#475569"/>'
        f'<text x="{x + BOX_W / 2}" y="{TOP + 24}" text-anchor="middle" '
        f'font-weight="bold" font-size="12">{escape(title)}</text>'
        f'<text class="cqrs-stage-count" x="{x + BOX_W / 2}" y="{TOP + 46}" '
        f'text-anchor="middle" font-size="11">{escape(_stage_text(stage, state, counts))}</text>'
        "</g>"
    )


def _pill(token: Token, x: float, y: float) -> str:
    refused = token.status in ("rejected", "failed")
    fill = REFUSED_COLOUR if refused else TOKEN_COLOURS[token.kind]
    opacity = "0.55" if token.status == "waiting" else "1"
    where = f" @{token.positions[0]}" if token.kind in ("event", "row") else ""
    text = f"{token.label}{where}"[:17]
    tip = f"{token.label}{where}: {token.status}" + (f" ({token.error})" if token.error else "")
    return (
        f'<g class="cqrs-token cqrs-token-{token.kind} cqrs-token-{token.status}" '
        f'data-token="{token.id}" data-kind="{token.kind}" data-status="{token.status}" '
        f'data-stage="{escape(token.stage)}" '
        f'data-x="{x}" data-y="{y}" opacity="{opacity}"><title>{escape(tip)}</title>'
        f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{PILL_H}" rx="8" fill="{fill}"/>'
        f'<text x="{x + BOX_W / 2}" y="{y + 12}" text-anchor="middle" font-size="10" '
        f'fill="white">{escape(text)}</text></g>'
    )


def _tokens(stage: str, x: float, state: FlowState) -> tuple[str, float]:
    """The pills under a stage (newest ``MAX_PILLS``), and the y below them."""
    here = state.at(stage)
    y = TOP + BOX_H + 8
    parts = []
    if len(here) > MAX_PILLS:
        parts.append(
            f'<text class="cqrs-more" x="{x + BOX_W / 2}" y="{y + 11}" text-anchor="middle" '
            f'font-size="10">+{len(here) - MAX_PILLS} more</text>'
        )
        y += PILL_H + PILL_GAP
        here = here[-MAX_PILLS:]
    for token in here:
        parts.append(_pill(token, x, y))
        y += PILL_H + PILL_GAP
    for token in here:
        if token.status in ("rejected", "failed") and token.error:
            parts.append(_error_text(token.error, x, y))
            y += 40
    return "".join(parts), y


def _error_text(error: str, x: float, y: float) -> str:
    lines = textwrap.wrap(error, 24, break_long_words=True)[:3]
    spans = "".join(
        f'<tspan x="{x}" dy="{12 if i else 10}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return (
        f'<text class="cqrs-flow-error" x="{x}" y="{y}" font-size="9" '
        f'fill="{REFUSED_COLOUR}">{spans}</text>'
    )


def _arrow(x1: float, x2: float, label: str = "") -> str:
    y = TOP + BOX_H / 2
    text = (
        f'<text class="cqrs-lag" x="{(x1 + x2) / 2}" y="{TOP - 5}" text-anchor="middle" '
        f'font-size="10" fill="#b45309">{escape(label)}</text>'
        if label
        else ""
    )
    return (
        f'<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="#64748b" stroke-width="2" '
        f'marker-end="url(#cqrs-arrow)"/>{text}'
    )


def render_flow(state: FlowState, counts: FlowCounts) -> str:
    """The flow diagram as an HTML fragment (``div.cqrs-flow`` holding the SVG and notes)."""
    read_models = list(counts.rows)
    stages = stage_order(read_models)
    parts = []
    bottom = TOP + BOX_H
    for i, stage in enumerate(stages):
        x = 10 + i * STRIDE
        parts.append(_box(stage, x, state, counts))
        pills, y = _tokens(stage, x, state)
        parts.append(pills)
        bottom = max(bottom, y)
        if 0 < i < len(stages) - 1 and stages[i - 1] not in read_models:
            label = ""
            if stage == PROJECTOR:
                label = f"lag {counts.lag_events} ev · {counts.lag_seconds:g} s"
            parts.append(_arrow(x - STRIDE + BOX_W, x - 2, label))
    query_x = 10 + (len(stages) - 1) * STRIDE
    parts.append(_arrow(query_x, query_x - STRIDE + BOX_W + 2))  # a query reads a read model
    width = 20 + len(stages) * STRIDE
    svg = (
        f'<svg class="cqrs-flow-svg" viewBox="0 0 {width} {bottom + 10}" width="100%" '
        f'style="max-width:{width}px" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif">'
        '<defs><marker id="cqrs-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="6" markerHeight="6" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#64748b"/></marker></defs>'
        f'<text x="10" y="16" font-size="11" fill="#475569">write side →</text>'
        f'<text x="{10 + (len(WRITE_PATH) + 1) * STRIDE}" y="16" font-size="11" fill="#475569">'
        f"read side → (step {state.steps}{', clock ' + counts.clock if counts.clock else ''})"
        f"</text>{''.join(parts)}</svg>"
    )
    notes = (
        "".join(f"<li>{escape(note)}</li>" for note in state.notes) or "<li>(nothing moved)</li>"
    )
    paused = ' data-paused="true"' if counts.paused else ""  # absent otherwise: as before
    return (
        f'<div class="cqrs-flow" data-step="{state.steps}" data-sent="{state.sent}" '
        f'data-head="{counts.head}" '
        f'data-position="{counts.position}" data-lag="{counts.lag_events}"{paused}>{svg}'
        f'<ul class="cqrs-flow-notes" style="font:12px sans-serif;margin:2px 0">{notes}</ul></div>'
    )
