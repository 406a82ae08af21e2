"""``order_summary`` version 2: the same rows plus ``updated_at``, for blue-green rebuilds.

A new read-model version usually changes the table's shape, so it cannot simply continue
from the old version's checkpoint: every event must be folded again. This one adds when
each order last changed; run it with :class:`cqrs_lab.BlueGreenRebuild` beside version 1.
"""

from __future__ import annotations

from cqrs_lab.messaging.messages import DomainEvent
from cqrs_lab.orders.order_summary import OrderProjection
from cqrs_lab.read_side.projection import Row, Table


class OrderProjectionV2(OrderProjection):
    """``order_summary`` with an ``updated_at`` column (the newest event's time)."""

    tables = (
        Table(
            "order_summary",
            key="id",
            columns={**OrderProjection.tables[0].columns, "updated_at": "TIMESTAMP"},
        ),
    )

    def apply(self, row: Row | None, event: DomainEvent) -> Row:
        row = super().apply(row, event)
        row["updated_at"] = event.occurred_at
        return row
