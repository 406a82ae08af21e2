"""Known wrong answers for notebook 14's exercise (see README.md here)."""

WRONG = {
    "14-confirmation-emails": [
        (  # trusts the broker: at-least-once delivery sends a second email
            [
                "if isinstance(recorded.event, OrderCreated):\n"
                "    self.sent.append(recorded.event.customer_id)"
            ],
            "4 emails went out for 3 orders",
        ),
        (  # drops repeats by customer: Ada's second order gets no email
            [
                "customer = getattr(recorded.event, 'customer_id', None)\n"
                "if isinstance(recorded.event, OrderCreated) and customer not in self.sent:\n"
                "    self.sent.append(customer)"
            ],
            "want Ada twice",
        ),
    ],
}
