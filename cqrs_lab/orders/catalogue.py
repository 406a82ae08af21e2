"""The demo catalogue: a few memorable customers and products every notebook can use.

Ids are fixed literals (not generated), so they read the same in every notebook and test.
"""

from __future__ import annotations

from uuid import UUID

from cqrs_lab.orders.values import Address

ADA = UUID("00000000-0000-4000-8000-00000000ada1")
GRACE = UUID("00000000-0000-4000-8000-000000006ace")
ALAN = UUID("00000000-0000-4000-8000-00000000a1a2")

#: Customer id -> name.
DEMO_CUSTOMERS: dict[UUID, str] = {
    ADA: "Ada Lovelace",
    GRACE: "Grace Hopper",
    ALAN: "Alan Turing",
}

#: Product id -> units in stock.
DEMO_STOCK: dict[str, int] = {
    "CRUNCHY-ARMCHAIR": 5,
    "SILENT-KEYBOARD": 20,
    "MIDNIGHT-LAMP": 12,
    "WOBBLY-TABLE": 0,
}

#: Product id -> list price: what an order line for the product costs.
DEMO_PRICES: dict[str, float] = {
    "CRUNCHY-ARMCHAIR": 249.00,
    "SILENT-KEYBOARD": 89.50,
    "MIDNIGHT-LAMP": 35.25,
    "WOBBLY-TABLE": 120.00,
}

#: Every list price the lab knows: the demo's, and the standard workload's products
#: (``cqrs_lab.orders.workloads``), so a lab built with ``stock=workload_stock()`` prices
#: them too.
LIST_PRICES: dict[str, float] = {
    **DEMO_PRICES,
    "PAPER-CLIPS": 9.50,
    "RUBBER-DUCK": 3.25,
    "DESK-PLANT": 100.00,
}

#: Where demo orders ship to.
DEMO_ADDRESS = Address(
    street="12 Analytical Row", city="London", postal_code="N1 7AA", country="GB"
)
