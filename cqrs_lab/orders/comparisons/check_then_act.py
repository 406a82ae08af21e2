"""The guide's check-then-act, racing: two orders both told "yes" for the last armchair.

The guide's handler asks ``await inventory.check_availability(...)`` and then saves. The
``await`` is the problem: while one order waits for its answer, another can ask the same
question, get the same answer, and both go on to take the units. This module is that
inventory, kept tiny so notebook 12 and the tests can make the race happen on purpose:
:class:`CheckThenActInventory` answers after yielding to the event loop once (as any
real service call would), and :func:`place_check_then_act` checks, then takes.

The fix is in :class:`~cqrs_lab.orders.services.InventoryService`: the taking itself is
checked, against the version of the stock it was decided on.
"""

from __future__ import annotations

import asyncio

from cqrs_lab.orders.errors import InsufficientInventoryError


class CheckThenActInventory:
    """Units per product; checking awaits (a service call), taking never checks."""

    def __init__(self, stock: dict[str, int]) -> None:
        self.stock = dict(stock)

    async def check_availability(self, product_id: str, quantity: int) -> bool:
        """Whether ``quantity`` units are there, answered after a yield, as a remote call is."""
        answer = self.stock[product_id] >= quantity
        await asyncio.sleep(0)  # the answer is on its way: other tasks run meanwhile
        return answer

    def take(self, product_id: str, quantity: int) -> None:
        """Take the units the caller checked for (without checking again)."""
        self.stock[product_id] -= quantity


async def place_check_then_act(
    inventory: CheckThenActInventory, product_id: str, quantity: int
) -> None:
    """The guide's order handler, reduced to its stock: check, then act.

    Raises:
        InsufficientInventoryError: if the check says there are too few units.
    """
    if not await inventory.check_availability(product_id, quantity):
        raise InsufficientInventoryError(product_id, quantity, inventory.stock[product_id])
    inventory.take(product_id, quantity)
