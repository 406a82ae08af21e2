"""Known wrong answers to notebook 06's exercises (when not to use CQRS)."""

WRONG = {
    "06-choose-design": [
        (  # any reason for CQRS wins, even over a reason against
            [
                "for field, line in WHEN_TO_USE.items():\n"
                "    if getattr(feature, field):\n"
                '        return ("CQRS", line)\n'
                "for field, line in WHEN_NOT_TO_USE.items():\n"
                "    if getattr(feature, field):\n"
                '        return ("CRUD", line)\n'
                'return ("CRUD", "no reason")'
            ],
            "'bank transfers' (Strong consistency requirements everywhere; Read-heavy "
            "workloads with complex queries; Event sourcing implementations) got 'CQRS'",
        ),
        (  # CQRS by default
            [
                "for field, line in WHEN_NOT_TO_USE.items():\n"
                "    if getattr(feature, field):\n"
                '        return ("CRUD", line)\n'
                'return ("CQRS", "it scales")'
            ],
            "'user settings page' (no reason either way) got 'CQRS', want 'CRUD'",
        ),
    ],
    "06-crud-ship": [
        (  # no rule: an UPDATE ships anything
            ["self.db.execute(\"UPDATE orders SET status = 'shipped' WHERE id = ?\", [order_id])"],
            "a cancelled order was shipped",
        ),
        (  # the UPDATE forgot its WHERE
            [
                "row = self.order(order_id)\n"
                "if row is None:\n"
                "    raise OrderNotFoundError(Order, order_id)\n"
                'if row["status"] != "pending":\n'
                "    raise InvalidOperationError(f\"Cannot ship {row['status']} order\")\n"
                "self.db.execute(\"UPDATE orders SET status = 'shipped'\")"
            ],
            "shipping one order shipped every order in the table",
        ),
    ],
    "06-cancelled-within": [
        (  # counts every cancellation, however late
            ['return int((events.type == "OrderCancelled").sum())'],
            "within 3,600 s you counted 3 (every cancelled order), want 2",
        ),
        (  # measures from the start of the log, not from each order's creation
            [
                'cancelled = events[events.type == "OrderCancelled"].recorded_at\n'
                "delays = (cancelled - events.recorded_at.min()).dt.total_seconds()\n"
                "return int((delays <= seconds).sum())"
            ],
            "within 3,600 s you counted 1, want 2",
        ),
    ],
    "06-audited-crud": [
        (  # records first, decides after
            [
                "order_id = super().place_order(customer_id, items)\n"
                'self.record(order_id, "pending")\n'
                "return order_id",
                'self.record(order_id, "cancelled")\nsuper().cancel_order(order_id, reason)',
            ],
            "a refused cancel (already cancelled) still wrote a history row",
        ),
        (  # forgets the creation: only changes after it are kept
            [
                "return super().place_order(customer_id, items)",
                'super().cancel_order(order_id, reason)\nself.record(order_id, "cancelled")',
            ],
            "want pending then cancelled, an hour apart",
        ),
    ],
}
