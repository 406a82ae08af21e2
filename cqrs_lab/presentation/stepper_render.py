"""What the projection stepper shows for one event, as HTML: pure functions, no widgets.

For the event at a position: the event itself, the source of every projection's ``apply``
that read it (the ``case`` for its type highlighted), the aggregate's state after it
(replayed from its stream up to the event's version), and the read-model rows it changed
as a before/after diff: inserted rows green, changed rows yellow with the old value beside
the new, deleted rows red.
"""

from __future__ import annotations

import functools
import inspect
from html import escape
from typing import Any

from cqrs_lab.presentation.projection_replay import RowChange, StepResult
from cqrs_lab.write_side.event_store import RecordedEvent

DIFF_COLOURS = {"inserted": "#d3f9d8", "changed": "#fff3bf", "deleted": "#ffc9c9"}
"""Background per kind of row change: green, yellow, red."""
_CELL = "padding:2px 6px;border-bottom:1px solid #ddd;text-align:left;font:12px monospace"
_HIDDEN_FIELDS = {"event_id", "occurred_at", "metadata"}


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    text = str(value)
    return text[:8] if len(text) == 36 and text.count("-") == 4 else text[:48]


def render_event(recorded: RecordedEvent) -> str:
    """The event: position, type, stream, version and its fields."""
    fields = {k: v for k, v in recorded.event.model_dump().items() if k not in _HIDDEN_FIELDS}
    cells = "".join(
        f'<tr><td style="{_CELL}">{escape(k)}</td><td style="{_CELL}">{escape(_show(v))}</td></tr>'
        for k, v in fields.items()
    )
    return (
        f'<div class="cqrs-step-event" data-type="{recorded.type}"><b>#{recorded.position} '
        f"{escape(recorded.type)}</b> (stream {_show(recorded.stream_id)}, version "
        f"{recorded.version})<table>{cells}</table></div>"
    )


def apply_source(projection: Any, event_type: str) -> str:
    """The source of ``type(projection).apply``, the lines of ``case <event_type>`` marked."""
    return _apply_source(type(projection), projection.name, event_type)


@functools.lru_cache(maxsize=256)
def _apply_source(kind: type, name: str, event_type: str) -> str:
    """:func:`apply_source`, kept: reading and tokenizing a source file costs a step more
    than the rest of its drawing (a class's source does not change while it is loaded)."""
    try:
        source = inspect.getsource(kind.apply)
    except (OSError, TypeError):
        return f"<pre>(no source for {escape(kind.__name__)}.apply)</pre>"
    lines = []
    for line in inspect.cleandoc("\n" + source).splitlines():
        mark = f"case {event_type}(" in line
        style = ' style="background:#ffe066;font-weight:bold"' if mark else ""
        cls = ' class="cqrs-code-ran"' if mark else ""
        lines.append(f"<span{cls}{style}>{escape(line)}</span>")
    return (
        f'<div class="cqrs-step-source" data-projection="{escape(name)}">'
        f"<b>{escape(kind.__name__)}.apply</b> ({escape(name)})"
        f'<pre style="font-size:11px;margin:2px 0">{chr(10).join(lines)}</pre></div>'
    )


def render_aggregate(aggregate: Any) -> str:
    """The aggregate's state after the event (its public fields)."""
    if aggregate is None:
        return '<div class="cqrs-step-aggregate">(no aggregate for this stream)</div>'
    state = {k: v for k, v in vars(aggregate).items() if not k.startswith("_")}
    for name in ("total_amount",):
        if hasattr(aggregate, name):
            state[name] = getattr(aggregate, name)
    cells = "".join(
        f'<tr><td style="{_CELL}">{escape(k)}</td>'
        f'<td style="{_CELL}">{escape(_show(len(v) if isinstance(v, list) else v))}'
        f"{' item(s)' if isinstance(v, list) else ''}</td></tr>"
        for k, v in state.items()
    )
    return (
        f'<div class="cqrs-step-aggregate" data-version="{getattr(aggregate, "version", "")}">'
        f"<b>{escape(type(aggregate).__name__)} after the event</b><table>{cells}</table></div>"
    )


def render_changes(changes: list[RowChange]) -> str:
    """The rows the event changed, one table per read-model table, coloured by kind."""
    if not changes:
        return '<div class="cqrs-step-diff cqrs-diff-none">No read-model row changed.</div>'
    parts = []
    for table in dict.fromkeys(c.table for c in changes):
        rows = [c for c in changes if c.table == table]
        columns = list((rows[0].after or rows[0].before or {}).keys())
        header = "".join(f'<th style="{_CELL}">{escape(c)}</th>' for c in ["", *columns])
        body = "".join(_diff_row(change, columns) for change in rows)
        parts.append(
            f'<div class="cqrs-step-table" data-table="{escape(table)}"><b>{escape(table)}</b>'
            f'<table style="border-collapse:collapse"><tr>{header}</tr>{body}</table></div>'
        )
    return f'<div class="cqrs-step-diff">{"".join(parts)}</div>'


def _diff_row(change: RowChange, columns: list[str]) -> str:
    changed = set(change.changed_columns)
    row = change.after if change.after is not None else change.before or {}
    cells = []
    for column in columns:
        value = escape(_show(row.get(column)))
        if change.kind == "changed" and column in changed:
            old = escape(_show((change.before or {}).get(column)))
            value = f'<s class="cqrs-old-value">{old}</s> → <b>{value}</b>'
        cells.append(f'<td style="{_CELL}">{value}</td>')
    return (
        f'<tr class="cqrs-diff-{change.kind}" data-key="{escape(str(change.key))}" '
        f'style="background:{DIFF_COLOURS[change.kind]}"><td style="{_CELL}">'
        f"{change.kind}</td>{''.join(cells)}</tr>"
    )


def render_step(
    recorded: RecordedEvent,
    result: StepResult,
    sources: list[str],
    aggregate_html: str,
    header: str,
    *,
    remembered: bool = False,
) -> str:
    """The whole stepper panel for one event (``remembered``: computed on an earlier visit)."""
    if remembered:
        how = "shown again: computed on an earlier visit (a position's answer never changes)"
    elif result.travelled:
        how = (
            "reached by time travel: the read models before and after it were folded again "
            f"from the log, starting at the copy saved at position {result.folded_from}"
        )
    else:
        how = "reached by stepping the projections forward"
    error = (
        f'<div class="cqrs-step-error" style="color:#c92a2a"><b>The projection failed:</b> '
        f"{escape(result.error)}</div>"
        if result.error
        else ""
    )
    code = "".join(sources) or "<i>No projection reads this event type.</i>"
    return (
        f'<div class="cqrs-stepper-view" data-position="{recorded.position}" '
        f'data-changes="{len(result.changes)}" data-travelled="{result.travelled and not remembered}">'
        f'<div class="cqrs-step-header">{escape(header)} · <i>{how}</i></div>'
        f'<div style="display:flex;gap:16px;align-items:flex-start">'
        f"<div>{render_event(recorded)}{aggregate_html}</div><div>{code}</div></div>"
        f"{error}{render_changes(result.changes)}</div>"
    )
