"""The fault panel's verdicts: a consistency report and the dead letters, as HTML.

After every run the panel compares the live read models with a rebuild from the events
(:func:`cqrs_lab.check_consistency`). Identical is one green line; otherwise every
differing value is listed (table, key, column, live, rebuilt), with the dead letters that
explain them. Pure functions of the report, so tests read what the learner sees.
"""

from __future__ import annotations

from html import escape

import pandas as pd

from cqrs_lab.breaking.consistency_check import ConsistencyReport

IDENTICAL, DIFFERS = "#2b8a3e", "#c92a2a"
_CELL = "padding:2px 6px;border-bottom:1px solid #ddd;text-align:left;font:12px monospace"


def _table(frame: pd.DataFrame, css: str, limit: int = 12) -> str:
    header = "".join(f'<th style="{_CELL}">{escape(str(c))}</th>' for c in frame.columns)
    rows = "".join(
        f'<tr class="{css}">'
        + "".join(f'<td style="{_CELL}">{escape(str(v))[:40]}</td>' for v in row)
        + "</tr>"
        for row in frame.head(limit).itertuples(index=False)
    )
    more = f"<div>… and {len(frame) - limit} more</div>" if len(frame) > limit else ""
    return f'<table style="border-collapse:collapse"><tr>{header}</tr>{rows}</table>{more}'


def render_verdict(report: ConsistencyReport) -> str:
    """Green "identical", or the differing rows and waiting dead letters in red."""
    if report.ok:
        return (
            f'<div class="cqrs-verdict cqrs-verdict-identical" style="color:{IDENTICAL}">'
            f"<b>✔ identical</b>: every read model equals a rebuild from the events "
            f"({escape(', '.join(f'{k} at {v}' for k, v in report.positions.items()))})</div>"
        )
    parts = [
        f'<div class="cqrs-verdict cqrs-verdict-differs" style="color:{DIFFERS}" '
        f'data-differences="{len(report.differences)}"><b>✘ {escape(str(report))}</b>'
    ]
    if not report.differences.empty:
        parts.append(_table(report.differences, "cqrs-difference"))
    if not report.dead_letters.empty:
        parts.append("<div>Dead letters waiting (their effects are missing):</div>")
    parts.append("</div>")
    return "".join(parts)


def render_dead_letters(frame: pd.DataFrame) -> str:
    """The open dead letters (projection, position, event type, error, attempts, status)."""
    if frame.empty:
        return '<div class="cqrs-dead-letters" data-count="0">No dead letters.</div>'
    return (
        f'<div class="cqrs-dead-letters" data-count="{len(frame)}"><b>Dead letters</b>'
        f"{_table(frame, 'cqrs-dead-letter')}</div>"
    )


def render_log(fired: list[str], outcome: str, failed: bool, run: int = 0) -> str:
    """What the faults did in the last run (the ``run``-th), and how it ended."""
    colour = DIFFERS if failed else "#1c7ed6"
    items = "".join(f"<li>{escape(line)}</li>" for line in fired) or "<li>(no fault fired)</li>"
    return (
        f'<div class="cqrs-fault-log" data-run="{run}"><div style="color:{colour}" class="cqrs-fault-outcome">'
        f'{escape(outcome)}</div><ul style="margin:2px 0">{items}</ul></div>'
    )
