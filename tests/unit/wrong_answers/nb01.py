"""Known wrong answers to notebook 01's exercises (commands and the bus)."""

WRONG = {
    "01-refund-command": [
        (  # only a negative amount refused: 0.00 and fractions of a cent pass
            [
                "if amount < 0:\n"
                '    raise ValueError("a refund cannot be negative")\n'
                "return amount",
                'if not reason:\n    raise ValueError("say why")\nreturn reason',
            ],
            "a refund of 0.00 was accepted with no complaint",
        ),
        (  # the validators check, but forget to give the value back
            [
                "if amount <= 0 or round(amount, 2) != amount:\n"
                '    raise ValueError("a positive amount in whole cents")',
                'if not reason.strip():\n    raise ValueError("say why")',
            ],
            "a valid refund of 12.50 came out with amount None",
        ),
    ],
    "01-owner-cancel": [
        (  # a missing user_id slips through the `and`
            [
                "order = await self._load(command.order_id)\n"
                "if command.user_id and command.user_id != order.customer_id:\n"
                '    raise InvalidOperationError(f"user_id {command.user_id} is not the customer")\n'
                "return await super().handle(command)"
            ],
            "a CancelOrder with no user_id cancelled Ada's order",
        ),
        (  # saves first, checks after
            [
                "events = await super().handle(command)\n"
                "order = await self._load(command.order_id)\n"
                "if command.user_id != order.customer_id:\n"
                '    raise InvalidOperationError(f"user_id {command.user_id} is not the customer")\n'
                "return events"
            ],
            "the refused cancel was stored anyway",
        ),
        (  # refuses without naming the field
            [
                "order = await self._load(command.order_id)\n"
                "if command.user_id != order.customer_id:\n"
                '    raise InvalidOperationError("not allowed")\n'
                "return await super().handle(command)"
            ],
            "the refusal does not name the field at fault: not allowed",
        ),
    ],
    "01-idempotent-place": [
        (  # no memory at all: a retry is a second order
            ["return await super().handle(command)"],
            "a retried request (same request_id, new command_id) placed a second order: "
            "4 events in the store, want 2",
        ),
        (  # remembers by command_id, which the client's rebuilt retry does not share
            [
                "if command.command_id in self.answered:\n"
                "    return self.answered[command.command_id]\n"
                "events = await super().handle(command)\n"
                "self.answered[command.command_id] = events\n"
                "return events"
            ],
            "a retried request (same request_id, new command_id) placed a second order",
        ),
        (  # remembers the request before it succeeded: a refused request is never retried
            [
                "if command.request_id in self.answered:\n"
                "    return self.answered[command.request_id]\n"
                "self.answered[command.request_id] = []\n"
                "events = await super().handle(command)\n"
                "self.answered[command.request_id] = events\n"
                "return events"
            ],
            "a request that was refused (no stock) was not tried again on its retry",
        ),
    ],
    "01-publishing-bus": [
        (  # the seed's bus: event_publisher is never set (bug 4)
            [
                "self._handlers = {}",
                "handler = self._handlers.get(type(command))\n"
                "if not handler:\n"
                "    raise NoHandlerFoundError(type(command))\n"
                "events = await handler.handle(command)\n"
                "for event in events:\n"
                "    await self.event_publisher.publish(event)\n"
                "return events",
            ],
            "then dispatch failed: 'PublishingCommandBus' object has no attribute "
            "'event_publisher' (the seed's bug 4)",
        ),
        (  # an unknown type fails with a KeyError instead of NoHandlerFoundError
            [
                "self.event_publisher = event_publisher\nself._handlers = {}",
                "events = await self._handlers[type(command)].handle(command)\n"
                "for event in events:\n"
                "    await self.event_publisher.publish(event)\n"
                "return events",
            ],
            "a ShipOrder with no handler raised KeyError",
        ),
    ],
}
