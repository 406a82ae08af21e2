"""Known wrong answers to notebook 04's exercises (eventual consistency and lag)."""

WRONG = {
    "04-lag-alert": [
        (  # events behind only: the guide asks about *delay*
            [
                "if lag.events_behind > max_events:\n"
                '    return f"{lag.events_behind} events behind"\n'
                "return None"
            ],
            "a read side 25.0 seconds behind with only 3 events waiting raised no alert",
        ),
        (  # >= : the threshold itself alerts
            [
                "if lag.events_behind >= max_events or lag.seconds_behind >= max_seconds:\n"
                '    return f"{lag.events_behind} events, {lag.seconds_behind} s behind"\n'
                "return None"
            ],
            "exactly 40 events and 10.0 s behind raised an alert",
        ),
        (  # dead letters ignored: the checkpoint moved past events a read model never got
            [
                "if lag.events_behind > max_events:\n"
                '    return f"{lag.events_behind} events behind"\n'
                "if lag.seconds_behind > max_seconds:\n"
                '    return f"{lag.seconds_behind} seconds behind"\n'
                "return None"
            ],
            "a projection with 2 dead letters (0 events behind) raised no alert",
        ),
    ],
    "04-bounded-wait": [
        (  # waits with no bound
            [
                "written = lab.event_store.read_stream(order_id)[-1].position\n"
                "while lab.projector.position < written:\n"
                "    lab.projector.step(batch_size)\n"
                "return lab.query(GetOrderById(order_id=order_id))"
            ],
            "your wait stepped a projector that never moves 1,000 times: it has no bound",
        ),
        (  # does not wait at all
            ["return lab.query(GetOrderById(order_id=order_id))"],
            "your answer is None: the read model had not reached the order yet",
        ),
        (  # gives up silently
            [
                "written = lab.event_store.read_stream(order_id)[-1].position\n"
                "for _ in range(max_batches):\n"
                "    if lab.projector.position >= written:\n"
                "        return lab.query(GetOrderById(order_id=order_id))\n"
                "    lab.projector.step(batch_size)\n"
                "return None"
            ],
            "your wait returned None instead of raising TimeoutError: it gave up silently",
        ),
    ],
    "04-stale-read": [
        (  # compares with the store's head, not the order's own stream
            [
                "view = lab.query(GetOrderById(order_id=order_id))\n"
                "if view is None:\n"
                '    return "missing"\n'
                'return "outdated" if view.version < lab.event_store.head else "fresh"'
            ],
            "but you called it outdated: the store's head (5) counts every order's events",
        ),
        (  # makes the read fresh by projecting first
            [
                "lab.catch_up()\n"
                "written = lab.event_store.read_stream(order_id)[-1].version\n"
                "view = lab.query(GetOrderById(order_id=order_id))\n"
                "if view is None:\n"
                '    return "missing"\n'
                'return "outdated" if view.version < written else "fresh"'
            ],
            "Grace's new order, not projected yet: you said 'fresh', want 'missing'",
        ),
    ],
    "04-confirmation": [
        (  # waits for the read model instead of using the events
            [
                "order_id = created_order_id(lab.dispatch(command))\n"
                "lab.catch_up()\n"
                "return dict(lab.query(GetOrderById(order_id=order_id)))"
            ],
            "the page ran the projector (3 events) before it could show the order",
        ),
        (  # a line's subtotal without its quantity
            [
                "events = lab.dispatch(command)\n"
                "items = [e for e in events if isinstance(e, OrderItemAdded)]\n"
                'return {"order_id": created_order_id(events), "status": "pending",\n'
                '        "total_amount": sum(e.unit_price for e in items), '
                '"item_count": len(items)}'
            ],
            "the page shows {'total_amount': 338.5}; want {'total_amount': 428.0}",
        ),
    ],
}
