"""Pure render functions behind the playground: lab state in, HTML or SVG text out.

Each function reads the lab through its public API and returns a string, so a notebook
cell, a test and the widget app all see the same thing. Every render is bounded (the
newest ``limit`` events or rows, the last ``window`` lag samples), so drawing stays fast
however many events the lab holds.
"""

from __future__ import annotations

from html import escape
from typing import Any

from pydantic import ValidationError

from cqrs_lab.read_side.records import records
from cqrs_lab.write_side.event_store import RecordedEvent

#: Event type -> background colour (Event Modeling orange family, one shade per type).
EVENT_COLOURS = {
    "OrderCreated": "#ffd8a8",
    "OrderItemAdded": "#fff3bf",
    "OrderCancelled": "#ffc9c9",
    "OrderShipped": "#c3fae8",
}
_TABLE = 'style="border-collapse:collapse;font:12px monospace;width:100%"'
_CELL = "padding:2px 6px;border-bottom:1px solid #ddd;text-align:left"
STALE_COLOUR = "#ffe066"


def short_id(value: Any) -> str:
    """The first 8 characters of an id: enough to tell orders apart on screen."""
    return str(value)[:8]


def describe_error(error: BaseException) -> str:
    """A one-line-per-problem message; a pydantic error lists each offending field."""
    if isinstance(error, ValidationError):
        problems = [
            f"{'.'.join(str(part) for part in e['loc']) or '(command)'}: {e['msg']}"
            for e in error.errors()
        ]
        return f"invalid {error.title}: " + "; ".join(problems)
    return f"{type(error).__name__}: {error}"


def render_error(error: BaseException | None) -> str:
    """The error panel: the rejection message in red, or a quiet note that all is well."""
    if error is None:
        return '<div class="cqrs-error-none" style="color:#2b8a3e">No errors.</div>'
    return (
        '<div class="cqrs-error-message" style="color:#c92a2a;white-space:pre-wrap">'
        f"<b>Rejected</b> (nothing changed): {escape(describe_error(error))}</div>"
    )


def render_order_view(order_id: Any, view: Any) -> str:
    """What ``GetOrderById`` answered: the order's fields, or why there is none (yet)."""
    if view is None:
        return (
            f'<div class="cqrs-query-none">GetOrderById({short_id(order_id)}) returned '
            "<b>None</b>: the read model has no such order (yet: has the projector run?)</div>"
        )
    fields = view.model_dump()
    cells = "".join(
        f'<tr><td style="{_CELL}">{escape(k)}</td><td style="{_CELL}">{escape(str(v))}</td></tr>'
        for k, v in fields.items()
    )
    return (
        f'<div class="cqrs-query-view" data-order-id="{view.id}">'
        f"GetOrderById({short_id(order_id)}) returned an OrderView:<table {_TABLE}>{cells}</table></div>"
    )


def _event_detail(lab, recorded: RecordedEvent) -> str:
    event = recorded.event
    match recorded.type:
        case "OrderCreated":
            return f"customer {lab.catalogue.customers.get(event.customer_id, event.customer_id)}"
        case "OrderItemAdded":
            return f"{event.quantity} × {event.product_id} @ {event.unit_price:.2f}"
        case "OrderCancelled":
            return f"reason: {event.reason}"
    return ""


def render_events(lab, limit: int = 12) -> str:
    """The newest ``limit`` events in order, colour-coded by type, with the projector marked.

    Events above the projector's position are not yet in every read model (shown faded).
    """
    head, position = lab.event_store.head, lab.projector.position
    newest = lab.event_store.read_all(after=max(head - limit, 0))
    rows = []
    if newest and position < newest[0].position - 1:
        rows.append(_projector_row(position, "older than the events shown"))
    for recorded in newest:
        pending = recorded.position > position
        colour = EVENT_COLOURS.get(recorded.type, "#eee")
        style = f"background:{colour};{'opacity:0.55;font-style:italic' if pending else ''}"
        cells = (
            recorded.position,
            recorded.version,
            recorded.type,
            short_id(recorded.stream_id),
            _event_detail(lab, recorded),
        )
        rows.append(
            f'<tr class="cqrs-event{" cqrs-pending" if pending else ""}" '
            f'data-position="{recorded.position}" data-type="{recorded.type}" '
            f'data-stream="{recorded.stream_id}" style="{style}">'
            + "".join(f'<td style="{_CELL}">{escape(str(c))}</td>' for c in cells)
            + "</tr>"
        )
        if recorded.position == position:
            rows.append(_projector_row(position, "read models are complete up to here"))
    if not newest:
        rows.append(f'<tr><td colspan="5" style="{_CELL}">No events yet.</td></tr>')
    header = "".join(
        f'<th style="{_CELL}">{h}</th>' for h in ("pos", "ver", "type", "order", "detail")
    )
    return (
        f'<div class="cqrs-event-stream" data-head="{head}" data-position="{position}">'
        f"<b>Event stream</b>: head {head}, projector at {position} "
        f"({head - position} behind); newest {min(limit, head)} shown"
        f"<table {_TABLE}><tr>{header}</tr>{''.join(rows)}</table></div>"
    )


def _projector_row(position: int, note: str) -> str:
    return (
        f'<tr class="cqrs-projector-mark"><td colspan="5" style="{_CELL};'
        f'border-top:2px solid #1c7ed6;color:#1c7ed6">▲ projector at position {position}: '
        f"{note}</td></tr>"
    )


def render_frame(
    records: list[dict],
    *,
    key: str,
    columns: list[str],
    stale: set | frozenset = frozenset(),
    css_class: str = "cqrs-read-model",
    caption: str = "",
) -> str:
    """A small HTML table of ``records`` (one dict per row); rows whose ``key`` is in
    ``stale`` are highlighted. The caller bounds the rows (this renders all it is given)."""
    header = "".join(f'<th style="{_CELL}">{escape(c)}</th>' for c in columns)
    rows = []
    for record in records:
        is_stale = record[key] in stale
        style = f"background:{STALE_COLOUR}" if is_stale else ""
        cells = "".join(f'<td style="{_CELL}">{escape(_show(record[c]))}</td>' for c in columns)
        rows.append(
            f'<tr class="cqrs-row{" cqrs-stale" if is_stale else ""}" '
            f'data-key="{escape(str(record[key]))}" style="{style}">{cells}</tr>'
        )
    if not rows:
        rows.append(f'<tr><td colspan="{len(columns)}" style="{_CELL}">No rows yet.</td></tr>')
    return (
        f'<div class="{css_class}" data-rows="{len(records)}"><b>{escape(caption)}</b>'
        f"<table {_TABLE}><tr>{header}</tr>{''.join(rows)}</table></div>"
    )


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    if hasattr(value, "hex") and len(str(value)) == 36:  # a UUID: short form
        return short_id(value)
    return str(value)


ORDER_COLUMNS = ["id", "customer_name", "status", "total_amount", "item_count", "version"]
CUSTOMER_COLUMNS = ["customer_name", "order_count", "cancelled_count", "total_spent"]


def _records(lab, sql: str, parameters: list) -> list[dict]:
    return records(lab.read_db.execute(sql, parameters))


def newest_orders(lab, limit: int = 10) -> tuple[list[dict], int]:
    """The ``limit`` most recently created ``order_summary`` rows, and the table's row count.

    One bounded query (plain tuples, no DataFrame: this runs on every click)."""
    records = _records(
        lab,
        "SELECT *, count(*) OVER () AS total_rows FROM order_summary "
        "ORDER BY created_at DESC, id LIMIT ?",
        [limit],
    )
    return records, (records[0]["total_rows"] if records else 0)


def stale_orders(lab, records: list[dict]) -> set:
    """Ids of the ``records`` whose row version trails their stream in the event store."""
    store = lab.event_store
    return {r["id"] for r in records if r["version"] < store.stream_version(r["id"])}


def render_order_summary(lab, limit: int = 10, newest: tuple | None = None) -> str:
    """``order_summary``'s newest rows; rows behind their event stream are highlighted.

    ``newest`` may pass a result of :func:`newest_orders` that is still current (the
    playground reuses it while the projector has not moved: only staleness can change)."""
    records, total = newest or newest_orders(lab, limit)
    stale = stale_orders(lab, records)
    caption = (
        f"order_summary: {total} rows, newest {len(records)} shown, "
        f"{len(stale)} of them stale (behind the event stream)"
    )
    return render_frame(
        records,
        key="id",
        columns=ORDER_COLUMNS,
        stale=stale,
        css_class="cqrs-order-summary-table",
        caption=caption,
    )


def stale_customers(lab) -> set:
    """Customers with an event ``customer_stats`` handles but has not yet applied."""
    projection = lab.projector.projections.get("customer_stats")
    if projection is None:
        return set()
    after = lab.projector.checkpoints()[projection.name]
    stale = set()
    for recorded in lab.event_store.read_all(after=after):
        if isinstance(recorded.event, projection.handles):
            first = lab.event_store.read_stream(recorded.stream_id)[0].event
            stale.add(first.customer_id)
    return stale


def top_customers(lab, limit: int = 10) -> list[dict]:
    """The ``limit`` ``customer_stats`` rows with the most orders (a bounded query)."""
    return _records(
        lab,
        "SELECT * FROM customer_stats ORDER BY order_count DESC, customer_name LIMIT ?",
        [limit],
    )


def render_customer_stats(lab, limit: int = 10, top: list[dict] | None = None) -> str:
    """``customer_stats`` (most orders first); customers with unprojected events highlighted.

    ``top`` may pass a still-current result of :func:`top_customers`."""
    records = top if top is not None else top_customers(lab, limit)
    stale = stale_customers(lab)
    caption = f"customer_stats: top {len(records)} customers by orders; {len(stale)} stale"
    return render_frame(
        records,
        key="customer_id",
        columns=CUSTOMER_COLUMNS,
        stale=stale,
        css_class="cqrs-customer-stats-table",
        caption=caption,
    )


def render_as_of(lab, position: int, limit: int = 10) -> str:
    """``order_summary`` as it was when the store's head was ``position`` (time travel)."""
    frame = lab.read_model_as_of("order_summary", position)
    newest = frame.sort_values(["created_at", "id"], ascending=[False, True]).head(limit)
    caption = (
        f"order_summary as of position {position} of {lab.event_store.head}: "
        f"{len(frame)} orders, newest {len(newest)} shown"
    )
    return render_frame(
        newest.to_dict("records"),
        key="id",
        columns=ORDER_COLUMNS,
        css_class="cqrs-as-of-table",
        caption=caption,
    )
