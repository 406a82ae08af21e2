"""Stock the server owns: the Stock aggregate, reservations that race, prices from the catalogue."""

import asyncio
import threading
from uuid import UUID

import pytest

from cqrs_lab.orders import (
    ADA,
    DEMO_ADDRESS,
    CancelOrder,
    CreateOrder,
    InsufficientInventoryError,
    OrderItem,
    UnknownProductError,
    build_lab,
    created_order_id,
)
from cqrs_lab.orders.comparisons.check_then_act import CheckThenActInventory, place_check_then_act
from cqrs_lab.orders.errors import PriceMismatchError, UnpricedProductError
from cqrs_lab.orders.events import StockAdded, StockReleased, StockReservationRefused, StockReserved
from cqrs_lab.orders.handlers import CreateOrderHandler
from cqrs_lab.orders.services import InventoryService, PriceList
from cqrs_lab.orders.stock import Stock, stock_id_of
from cqrs_lab.testing import Scenario
from cqrs_lab.write_side.event_store import ConcurrencyError, InMemoryEventStore

ARMCHAIR = "CRUNCHY-ARMCHAIR"
STOCK_ID = stock_id_of(ARMCHAIR)
ORDER_1 = UUID("00000000-0000-4000-8000-0000000000a1")
ORDER_2 = UUID("00000000-0000-4000-8000-0000000000a2")
OPENED = StockAdded(stock_id=STOCK_ID, product_id=ARMCHAIR, quantity=5)


def reserved(order_id, quantity):
    return StockReserved(
        stock_id=STOCK_ID, product_id=ARMCHAIR, order_id=order_id, quantity=quantity
    )


def order_of(quantity, product=ARMCHAIR, **line):
    return CreateOrder(
        customer_id=ADA,
        items=[{"product_id": product, "quantity": quantity, **line}],
        shipping_address=DEMO_ADDRESS,
    )


class TestStockAggregate:
    def test_a_reservation_is_an_event_that_takes_units(self):
        Scenario(Stock).given(OPENED).when(lambda s: s.reserve(ORDER_1, 2)).then(
            reserved(ORDER_1, 2)
        )
        stock = Stock.open(ARMCHAIR, 5)
        stock.reserve(ORDER_1, 2)
        assert (stock.on_hand, stock.reserved, stock.available) == (5, 2, 3)

    def test_more_than_is_free_is_refused_naming_what_is_free(self):
        Scenario(Stock).given(OPENED, reserved(ORDER_1, 4)).when(
            lambda s: s.reserve(ORDER_2, 2)
        ).then_error(InsufficientInventoryError, "requested 2, available 1")

    def test_a_refusal_can_be_recorded_with_what_was_free(self):
        Scenario(Stock).given(OPENED, reserved(ORDER_1, 4)).when(
            lambda s: s.refuse(ORDER_2, 2)
        ).then(
            StockReservationRefused(
                stock_id=STOCK_ID, product_id=ARMCHAIR, order_id=ORDER_2, requested=2, available=1
            )
        )

    def test_release_gives_back_all_an_order_holds_and_twice_changes_nothing(self):
        Scenario(Stock).given(OPENED, reserved(ORDER_1, 2), reserved(ORDER_1, 1)).when(
            lambda s: s.release(ORDER_1)
        ).then(StockReleased(stock_id=STOCK_ID, product_id=ARMCHAIR, order_id=ORDER_1, quantity=3))
        Scenario(Stock).given(OPENED).when(lambda s: s.release(ORDER_1)).then()


class TestTheRaceForTheLastUnit:
    def test_the_guides_check_then_act_sells_the_last_armchair_twice(self):
        inventory = CheckThenActInventory({ARMCHAIR: 1})

        async def two_orders():
            return await asyncio.gather(
                place_check_then_act(inventory, ARMCHAIR, 1),
                place_check_then_act(inventory, ARMCHAIR, 1),
                return_exceptions=True,
            )

        assert asyncio.run(two_orders()) == [None, None]  # both told yes...
        assert inventory.stock[ARMCHAIR] == -1  # ...and one armchair sold that was not there

    def test_two_stocks_loaded_at_one_version_cannot_both_save(self):
        store = InMemoryEventStore()
        store.append(
            STOCK_ID, [OPENED.model_copy(update={"quantity": 1, "version": 1})], expected_version=0
        )
        first, second = (
            Stock.from_history(STOCK_ID, [r.event for r in store.read_stream(STOCK_ID)])
            for _ in "ab"
        )
        first.reserve(ORDER_1, 1)
        second.reserve(ORDER_2, 1)  # both decided on "1 free"
        store.append(STOCK_ID, first.pending_events, expected_version=1)
        with pytest.raises(ConcurrencyError):
            store.append(STOCK_ID, second.pending_events, expected_version=1)

    def test_a_reservation_that_lost_the_race_decides_again_on_what_is_left(self):
        class RivalFirst(InMemoryEventStore):
            """A rival's reservation lands just before ours, after we loaded the stock."""

            rival_done = False

            def append(self, stream_id, events, *, expected_version, command_id=None):
                if not self.rival_done and isinstance(events[0], StockReserved):
                    self.rival_done = True
                    rival = reserved(ORDER_2, 1).model_copy(
                        update={"version": expected_version + 1}
                    )
                    super().append(stream_id, [rival], expected_version=expected_version)
                return super().append(
                    stream_id, events, expected_version=expected_version, command_id=command_id
                )

        inventory = InventoryService({ARMCHAIR: 1}, RivalFirst())
        with pytest.raises(InsufficientInventoryError, match="requested 1, available 0"):
            asyncio.run(inventory.reserve(ORDER_1, ARMCHAIR, 1))
        assert inventory.stock_of(ARMCHAIR) == 0
        assert inventory.load(ARMCHAIR).reservations == {ORDER_2: 1}

    def test_threads_racing_for_five_armchairs_get_exactly_five(self):
        lab = build_lab(seed=1)
        results: list = []
        barrier = threading.Barrier(8)

        def buy():
            barrier.wait()
            try:
                results.append(lab.dispatch(order_of(1)))
            except InsufficientInventoryError as refused:
                results.append(refused)

        threads = [threading.Thread(target=buy) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        placed = [r for r in results if isinstance(r, list)]
        assert len(placed) == 5 and len(results) == 8
        assert lab.inventory.stock_of(ARMCHAIR) == 0
        assert lab.inventory.load(ARMCHAIR).reserved == 5

    def test_asyncio_orders_whose_handler_awaits_never_oversell(self):
        lab = build_lab(seed=2)

        class SlowCustomers(type(lab.customers)):
            async def get(self, customer_id):
                await asyncio.sleep(0)  # every handler yields before it reserves
                return await super().get(customer_id)

        slow = SlowCustomers(lab.customers.all())
        prices = PriceList(lab.catalogue.prices)
        lab.command_bus.register(
            CreateOrder, CreateOrderHandler(lab.orders, lab.inventory, slow, prices)
        )

        async def many():
            return await asyncio.gather(
                *(lab.command_bus.dispatch(order_of(2)) for _ in range(5)), return_exceptions=True
            )

        results = asyncio.run(many())
        assert sum(isinstance(r, list) for r in results) == 2  # 2 + 2 of 5; the 5th unit stays
        assert all(
            isinstance(r, InsufficientInventoryError) for r in results if not isinstance(r, list)
        )
        assert lab.inventory.stock_of(ARMCHAIR) == 1


class TestOrdersTakeAndGiveBackStock:
    def test_the_issues_three_orders_of_five_armchairs_only_the_first_is_placed(self):
        lab = build_lab(seed=3)
        lab.dispatch(order_of(5))
        for _ in range(2):
            with pytest.raises(InsufficientInventoryError, match="requested 5, available 0"):
                lab.dispatch(order_of(5))
        assert lab.inventory.stock_of(ARMCHAIR) == 0
        assert len(lab.events()) == 2  # the refused orders stored nothing

    def test_cancelling_gives_the_stock_back(self):
        lab = build_lab(seed=4)
        order_id = created_order_id(lab.dispatch(order_of(3)))
        lab.dispatch(CancelOrder(order_id=order_id, reason="changed my mind"))
        assert lab.inventory.stock_of(ARMCHAIR) == 5
        lab.dispatch(order_of(5))  # all five can be had again

    def test_two_lines_of_one_product_draw_on_one_stock(self):
        lab = build_lab(seed=5)
        command = CreateOrder(
            customer_id=ADA,
            items=[
                {"product_id": ARMCHAIR, "quantity": 3},
                {"product_id": ARMCHAIR, "quantity": 3},
            ],
            shipping_address=DEMO_ADDRESS,
        )
        with pytest.raises(InsufficientInventoryError, match="requested 6, available 5"):
            lab.dispatch(command)

    def test_a_refused_line_gives_back_what_earlier_lines_took(self):
        lab = build_lab(seed=6)
        command = CreateOrder(
            customer_id=ADA,
            items=[
                {"product_id": "MIDNIGHT-LAMP", "quantity": 2},
                {"product_id": ARMCHAIR, "quantity": 9},
            ],
            shipping_address=DEMO_ADDRESS,
        )
        with pytest.raises(InsufficientInventoryError):
            lab.dispatch(command)
        assert lab.inventory.all() == {**lab.catalogue.stock}
        assert len(lab.events()) == 0

    def test_a_resent_order_takes_its_stock_once(self):
        lab = build_lab(seed=7)
        command = order_of(2)
        first = lab.dispatch(command)
        assert lab.dispatch(command) == first
        assert lab.inventory.stock_of(ARMCHAIR) == 3

    def test_a_resend_the_bus_forgot_is_refused_by_the_store_and_gives_its_units_back(self):
        lab = build_lab(seed=12)
        lab.command_bus.remember = 0  # only the store's command-id guard is left
        command = order_of(2)
        first = lab.dispatch(command)
        assert lab.dispatch(command) == first  # the handler ran again, the store refused it
        assert lab.inventory.stock_of(ARMCHAIR) == 3
        assert lab.inventory.load(ARMCHAIR).reservations == {created_order_id(first): 2}


class TestPricesComeFromTheCatalogue:
    def test_a_line_without_a_price_pays_the_catalogue_price(self):
        lab = build_lab(seed=8)
        events = lab.dispatch(order_of(2))
        assert events[-1].unit_price == 249.00

    def test_a_disagreeing_price_is_refused_naming_product_sent_and_listed(self):
        lab = build_lab(seed=9)
        with pytest.raises(PriceMismatchError) as refused:
            lab.dispatch(order_of(1, unit_price=1.0))
        assert (refused.value.product_id, refused.value.sent, refused.value.listed) == (
            ARMCHAIR,
            1.0,
            249.0,
        )
        assert "249.00 in the catalogue, the order sent 1.00" in str(refused.value)
        assert len(lab.events()) == 0 and lab.inventory.stock_of(ARMCHAIR) == 5

    def test_the_right_price_sent_along_is_accepted(self):
        lab = build_lab(seed=10)
        line = OrderItem(product_id=ARMCHAIR, quantity=1, unit_price=249.0)
        command = CreateOrder(customer_id=ADA, items=[line], shipping_address=DEMO_ADDRESS)
        assert lab.dispatch(command)[-1].unit_price == 249.0

    def test_a_product_nobody_prices_or_stocks_is_unknown(self):
        lab = build_lab(seed=11)
        with pytest.raises(UnknownProductError, match="FLYING-CARPET"):
            lab.dispatch(order_of(1, product="FLYING-CARPET"))

    @pytest.mark.parametrize("saga", [False, True])
    @pytest.mark.parametrize("sent", [1.0, None])
    def test_a_stocked_product_without_a_list_price_is_refused_whatever_price_is_sent(
        self, saga, sent
    ):
        lab = build_lab(seed=12, stock={"MYSTERY-BOX": 3}, saga=saga)
        line = {} if sent is None else {"unit_price": sent}
        with pytest.raises(UnpricedProductError) as refused:
            lab.dispatch(order_of(1, product="MYSTERY-BOX", **line))
        assert refused.value.product_id == "MYSTERY-BOX" and refused.value.sent == sent
        assert "'MYSTERY-BOX' has no list price in the catalogue" in str(refused.value)
        assert isinstance(refused.value, UnknownProductError)  # the API answers 400
        assert lab.event_store.head == (1 if saga else 0)  # only the stock's opening
        assert lab.inventory.stock_of("MYSTERY-BOX") == 3


def test_a_lab_kept_in_a_folder_keeps_what_its_orders_reserved(tmp_path):
    lab = build_lab(path=tmp_path)
    lab.dispatch(order_of(5))
    lab.close()
    reopened = build_lab(path=tmp_path)
    assert reopened.inventory.stock_of(ARMCHAIR) == 0
    with pytest.raises(InsufficientInventoryError, match="available 0"):
        reopened.dispatch(order_of(1))
    reopened.close()
