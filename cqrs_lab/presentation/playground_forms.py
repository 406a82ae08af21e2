"""The playground's command form: widgets that turn into one ``CreateOrder``.

The form only collects values; pydantic builds and validates the command, so a bad form
fails with the same error (``items.0.quantity``) a program would get.
"""

from __future__ import annotations

import ipywidgets as w

from cqrs_lab.orders import DEMO_ADDRESS, CreateOrder

NO_PRODUCT = ""
"""The value of an empty line (ipywidgets reserves None for "nothing selected")."""
LINES = 3


class OrderForm:
    """Customer, up to three product/quantity lines and an address, as widgets."""

    def __init__(self, lab) -> None:
        catalogue = lab.catalogue
        self.prices = catalogue.prices
        self.customer = w.Dropdown(
            options=[(name, cid) for cid, name in catalogue.customers.items()],
            description="customer",
        )
        products = self._options(catalogue.stock)
        first = next(iter(catalogue.stock), NO_PRODUCT)
        self.products = [
            w.Dropdown(
                options=products,
                value=first if i == 0 else NO_PRODUCT,
                description=f"line {i + 1}",
                layout=w.Layout(width="300px"),
            )
            for i in range(LINES)
        ]
        self.quantities = [
            w.IntText(value=1, description="qty", layout=w.Layout(width="130px"))
            for _ in range(LINES)
        ]
        for i, (product, quantity) in enumerate(zip(self.products, self.quantities)):
            product.add_class(f"cqrs-product-{i}")
            quantity.add_class(f"cqrs-quantity-{i}")
        self.address = {
            part: w.Text(value=getattr(DEMO_ADDRESS, part), description=part.replace("_", " "))
            for part in ("street", "city", "postal_code", "country")
        }
        self.customer.add_class("cqrs-customer")

    @staticmethod
    def _options(stock: dict[str, int]) -> list[tuple[str, str]]:
        return [("— no product —", NO_PRODUCT)] + [
            (f"{p} ({units} in stock)", p) for p, units in stock.items()
        ]

    def show_stock(self, stock: dict[str, int]) -> None:
        """Say in each product's label how many units are free now (choices kept)."""
        options = self._options(stock)
        for dropdown in self.products:
            if dropdown.options != tuple(options):
                chosen = dropdown.value
                dropdown.options = options  # (resets the choice: put it back)
                dropdown.value = chosen

    def fill(self, customer_id=None, lines=None, **address: str) -> None:
        """Set the form: ``lines`` is a list of ``(product_id, quantity)`` (missing: none).

        Raises:
            ValueError: for more lines than the form has, or a customer or product it does
                not offer; the form is left as it was.
        """
        self._check(customer_id, lines)
        if customer_id is not None:
            self.customer.value = customer_id
        if lines is not None:
            lines = list(lines) + [(NO_PRODUCT, 1)] * (LINES - len(lines))
            for (product, quantity), product_w, quantity_w in zip(
                lines, self.products, self.quantities
            ):
                product_w.value, quantity_w.value = product, quantity
        for part, value in address.items():
            self.address[part].value = value

    def _check(self, customer_id, lines) -> None:
        """Refuse what the widgets cannot show, before any widget changes."""
        if customer_id is not None and customer_id not in {v for _, v in self.customer.options}:
            raise ValueError(f"unknown customer {customer_id}: not in the form's list")
        if lines is None:
            return
        lines = list(lines)
        if len(lines) > LINES:
            raise ValueError(f"the form has {LINES} lines; got {len(lines)}")
        offered = {value for _, value in self.products[0].options}
        for product_id, _ in lines:
            if product_id not in offered:
                raise ValueError(f"unknown product {product_id!r}: not in the form's list")

    def command(self) -> CreateOrder:
        """The form as a command. Raises pydantic's ValidationError naming the bad field."""
        items = [
            {"product_id": p.value, "quantity": q.value, "unit_price": self.prices.get(p.value, 0)}
            for p, q in zip(self.products, self.quantities)
            if p.value != NO_PRODUCT
        ]
        return CreateOrder(
            customer_id=self.customer.value,
            items=items,
            shipping_address={part: box.value for part, box in self.address.items()},
        )

    @property
    def widget(self) -> w.Widget:
        lines = [w.HBox([p, q]) for p, q in zip(self.products, self.quantities)]
        return w.VBox([self.customer, *lines, *self.address.values()])
