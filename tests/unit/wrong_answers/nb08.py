"""Known wrong answers for notebook 08's exercises (projection throughput)."""

WRONG = {
    "08-batched-projection": [
        (  # the seed's way: one read and one write per event
            [
                "for event in events:\n"
                "    row = table.fetch(con, [event.product_id]).get(event.product_id)\n"
                '    row = row or {"product_id": event.product_id, "units": 0, "revenue": 0.0}\n'
                '    table.upsert(con, [{**row, "units": row["units"] + event.quantity,\n'
                '                        "revenue": row["revenue"] + event.quantity * event.unit_price}])'
            ],
            "batch 1 of 22 events ran 44 SQL statements",
        ),
        (  # folds the batch, but from zero: forgets the rows earlier batches stored
            [
                "rows = {}\n"
                "for event in events:\n"
                '    row = rows.get(event.product_id) or {"product_id": event.product_id, "units": 0, "revenue": 0.0}\n'
                '    rows[event.product_id] = {**row, "units": row["units"] + event.quantity,\n'
                '                              "revenue": row["revenue"] + event.quantity * event.unit_price}\n'
                "table.upsert(con, rows.values())"
            ],
            "the batch started from zero instead of the stored row",
        ),
    ],
    "08-fold-before-upsert": [
        (  # one row per event in one upsert: DuckDB keeps the first row of each key
            [
                "con.execute(ADD_ROWS, [[e.product_id for e in events], [e.quantity for e in events],\n"
                "                       [e.quantity * e.unit_price for e in events]])"
            ],
            "kept only the first row of each product in the batch",
        ),
        (  # correct sums, but one statement per event
            [
                'one_row = ADD_ROWS.replace("unnest(?::VARCHAR[]), unnest(?::INTEGER[]), '
                'unnest(?::DOUBLE[])", "?, ?, ?")\n'
                "con.executemany(one_row, [[e.product_id, e.quantity, e.quantity * e.unit_price] "
                "for e in events])"
            ],
            "batch 1 of 22 events ran 22 SQL statements",
        ),
    ],
    "08-batch-size": [
        (  # forgets the fixed cost of a transaction
            ["return int(budget_ms / per_event_ms)"],
            "the fixed cost was left out",
        ),
        (  # rounds to the nearest instead of down
            ["return round((budget_ms - fixed_ms) / per_event_ms)"],
            "a batch of 11 takes 10.25 ms, over the 10 ms budget",
        ),
        (  # a float is not a batch size
            ["return (budget_ms - fixed_ms) // per_event_ms"],
            "you returned 320.0, not a whole number of events",
        ),
        (  # never refuses: a batch of 1 still breaks the budget
            ["return max(1, math.floor((budget_ms - fixed_ms) / per_event_ms))"],
            "no batch fits, say so",
        ),
    ],
    "08-set-based-rebuild": [
        (  # the lines of cancelled orders still count
            [
                'con.execute("""INSERT INTO product_sales\n'
                "    SELECT product_id, sum(quantity), sum(quantity * unit_price), "
                "count(DISTINCT order_id)\n"
                '    FROM events WHERE kind = \'item\' GROUP BY product_id""")'
            ],
            "the lines of a cancelled order still count",
        ),
        (  # filters cancelled orders in WHERE: a product sold only to them loses its row
            [
                'con.execute("""INSERT INTO product_sales\n'
                "    SELECT product_id, sum(quantity), sum(quantity * unit_price), "
                "count(DISTINCT order_id)\n"
                "    FROM events WHERE kind = 'item'\n"
                "      AND order_id NOT IN (SELECT order_id FROM events WHERE kind = 'cancelled')\n"
                '    GROUP BY product_id""")'
            ],
            "WOBBLY-TABLE is missing from your table",
        ),
        (  # counts lines, not orders
            [
                'con.execute("""INSERT INTO product_sales\n'
                "    SELECT i.product_id,\n"
                "           coalesce(sum(i.quantity) FILTER (WHERE c.order_id IS NULL), 0),\n"
                "           coalesce(sum(i.quantity * i.unit_price) FILTER (WHERE c.order_id IS NULL), 0.0),\n"
                "           count(*) FILTER (WHERE c.order_id IS NULL)\n"
                "    FROM events i LEFT JOIN (SELECT DISTINCT order_id FROM events WHERE kind = 'cancelled') c\n"
                "         ON i.order_id = c.order_id\n"
                '    WHERE i.kind = \'item\' GROUP BY i.product_id""")'
            ],
            "an order with two lines of one product counted as two orders",
        ),
    ],
}
