"""Known wrong answers for notebook 12's exercise (see README.md here)."""

WRONG = {
    "12-compensate": [
        (  # the guide has no compensation: decline, and keep what was reserved
            [
                'return [DeclineOrder(order_id=row["order_id"], reason=f"{refused.product_id} '
                'is short")]'
            ],
            "2 MIDNIGHT-LAMP stay reserved for it",
        ),
        (  # gives the stock back but never tells the order
            [
                'return [ReleaseStock(product_id=p, order_id=row["order_id"]) for p in row["reserved"]]'
            ],
            "the order is still pending",
        ),
    ],
}
