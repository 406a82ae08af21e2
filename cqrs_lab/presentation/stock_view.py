"""The playground's stock panel: what each product has free now, from its stock stream.

The catalogue says what the lab opened with; this says what is left after every
reservation and release, so a learner sees an order take units and a cancel give them back.
"""

from __future__ import annotations

from cqrs_lab.presentation.playground_views import render_frame

STOCK_COLUMNS = ["product", "on_hand", "reserved", "available"]


def stock_now(lab) -> list[dict]:
    """Each product's stock as its stream says now: on hand, reserved by orders, free.

    Read from the warehouse's stock streams (write side), not a read model: every
    reservation and release is already there when the command returns."""
    inventory, rows = lab.inventory, []
    for product in inventory.products:
        stock = inventory.load(product)
        inventory.stocks.keep(stock)  # the next load applies only newer events
        rows.append(
            {
                "product": product,
                "on_hand": stock.on_hand,
                "reserved": stock.reserved,
                "available": stock.available,
            }
        )
    return rows


def render_stock(lab, rows: list[dict] | None = None) -> str:
    """The stock table: what each product has free right now, after reservations and
    releases (``rows`` may pass a current result of :func:`stock_now`)."""
    rows = stock_now(lab) if rows is None else rows
    reserved = sum(row["reserved"] for row in rows)
    caption = f"Stock now, from the stock streams: {reserved} reserved by orders in all"
    return render_frame(
        rows, key="product", columns=STOCK_COLUMNS, css_class="cqrs-stock-table", caption=caption
    )
