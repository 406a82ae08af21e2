"""Known wrong answers for notebook 13's exercise (see README.md here)."""

WRONG = {
    "13-guide-line": [
        (  # the guide's bug 2 made quiet: a default for facts never recorded
            [
                'quantity, price = invoices.get((fields["order_id"], fields["product_id"]), '
                "(1, 0.0))\n"
                'return {"order_id": fields["order_id"], "sku": fields["product_id"], '
                '"price": price, "quantity": quantity}'
            ],
            "a line the archive does not know was read as 1 x 0.00",
        ),
        (  # jumps to today's shape: the v2 -> v3 step cannot read it
            [
                'quantity, price = invoices[(fields["order_id"], fields["product_id"])]\n'
                'return {"order_id": fields["order_id"], "product_id": fields["product_id"], '
                '"unit_price": price, "quantity": quantity}'
            ],
            "not in v2's shape",
        ),
    ],
}
