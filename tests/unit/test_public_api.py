"""The public names the issues fix import from where learners expect them."""

import importlib

import pytest

CORE = "Command Query DomainEvent CommandHandler CommandBus QueryBus NoHandlerFoundError Aggregate InMemoryEventStore ConcurrencyError Projection Projector SimulatedClock SystemClock"
ORDERS = (
    "Order OrderStatus OrderItem Address CreateOrder CancelOrder ShipOrder OrderCreated OrderItemAdded "
    "OrderCancelled OrderShipped CreateOrderHandler GetOrderById GetOrdersByCustomer OrderView "
    "OrderProjection InsufficientInventoryError InvalidOperationError build_lab"
)


@pytest.mark.parametrize(("module", "names"), [("cqrs_lab", CORE), ("cqrs_lab.orders", ORDERS)])
def test_public_names_import_and_are_listed_in_all(module, names):
    imported = importlib.import_module(module)
    for name in names.split():
        assert getattr(imported, name) is not None
        assert name in imported.__all__, name
    assert sorted(imported.__all__) == sorted(set(imported.__all__))


OUTSIDE_THE_CORE = {"orders", "presentation", "api", "exercises", "__pycache__"}
# Top-level entry points that compose the example domain (like build_lab), not core machinery.
ENTRY_POINTS = {"preflight.py", "projector_process.py"}


def test_the_core_never_imports_the_example_domain_or_presentation():
    import pathlib
    import re

    core = pathlib.Path(importlib.import_module("cqrs_lab").__file__).parent
    layers = [p for p in core.iterdir() if p.is_dir() and p.name not in OUTSIDE_THE_CORE]
    top = [p for p in core.glob("*.py") if p.name not in ENTRY_POINTS]
    paths = top + [p for layer in layers for p in layer.rglob("*.py")]
    assert len(paths) > 20
    for path in paths:
        imports = re.findall(r"^\s*(?:from|import) (cqrs_lab\.\w+)", path.read_text(), re.M)
        assert not {"cqrs_lab.orders", "cqrs_lab.presentation", "cqrs_lab.api"} & set(imports), (
            path.name
        )


def test_the_write_side_never_imports_the_read_side_or_what_watches_it():
    """Events are written without knowing who reads them: the stores and aggregates stand
    alone, so the read side (which depends on them) is the only way round."""
    import pathlib
    import re

    core = pathlib.Path(importlib.import_module("cqrs_lab").__file__).parent
    paths = [*(core / "write_side").rglob("*.py"), *(core / "time_and_ids").rglob("*.py")]
    assert len(paths) > 10
    for path in paths:
        imports = set(re.findall(r"^\s*(?:from|import) (cqrs_lab\.\w+)", path.read_text(), re.M))
        watchers = {"cqrs_lab.read_side", "cqrs_lab.observing", "cqrs_lab.breaking"}
        assert not watchers & imports, f"{path.name} imports {sorted(watchers & imports)}"
