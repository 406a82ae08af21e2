"""The seed's order domain, built on the cqrs_lab core.

Write side: ``Order`` (the aggregate), commands and their handlers, events.
Read side: queries, ``OrderView``, the ``order_summary`` and ``customer_stats`` projections.
``build_lab`` wires all of it together.
"""

from cqrs_lab.orders.catalogue import (
    ADA,
    ALAN,
    DEMO_ADDRESS,
    DEMO_CUSTOMERS,
    DEMO_PRICES,
    DEMO_STOCK,
    GRACE,
    LIST_PRICES,
)
from cqrs_lab.orders.commands import (
    CancelOrder,
    ConfirmOrder,
    CreateOrder,
    DeclineOrder,
    OrderLine,
    ReleaseStock,
    ReserveStock,
    ShipOrder,
)
from cqrs_lab.orders.comparisons.crud import CrudOrders, code_size
from cqrs_lab.orders.comparisons.set_based import SetBasedRebuildError, set_based_rebuild
from cqrs_lab.orders.errors import (
    InsufficientInventoryError,
    InvalidOperationError,
    OrderNotFoundError,
    OrderRejected,
    PriceMismatchError,
    UnknownCustomerError,
    UnknownProductError,
)
from cqrs_lab.orders.events import (
    OrderCancelled,
    OrderConfirmed,
    OrderCreated,
    OrderDeclined,
    OrderEvent,
    OrderItemAdded,
    OrderShipped,
    StockAdded,
    StockEvent,
    StockReleased,
    StockReservationRefused,
    StockReserved,
    created_order_id,
)
from cqrs_lab.orders.handlers import CancelOrderHandler, CreateOrderHandler, ShipOrderHandler
from cqrs_lab.orders.lab import Catalogue, Lab, build_lab
from cqrs_lab.orders.lab_folder import LabFolderMismatchError, NotALabFolderError, reset_lab
from cqrs_lab.orders.order import Order
from cqrs_lab.orders.product_sales import (
    GetProductSales,
    GetProductSalesHandler,
    ProductSalesProjection,
    ProductSalesView,
)
from cqrs_lab.orders.projections import CustomerStatsProjection, OrderProjection
from cqrs_lab.orders.projections_v2 import OrderProjectionV2
from cqrs_lab.orders.queries import (
    CustomerStatsView,
    GetCustomerStats,
    GetCustomerStatsHandler,
    GetOrderById,
    GetOrderByIdHandler,
    GetOrdersByCustomer,
    GetOrdersByCustomerHandler,
    OrderView,
)
from cqrs_lab.orders.services import Customer, CustomerService, InventoryService, PriceList
from cqrs_lab.orders.stock import Stock, stock_id_of
from cqrs_lab.orders.values import Address, OrderItem, OrderStatus
from cqrs_lab.orders.workloads.simulation import (
    ReadYourWrites,
    probe_read_your_writes,
    simulate_burst,
)
from cqrs_lab.orders.workloads.workload import run_workload, workload_customers, workload_stock

__all__ = [
    "ConfirmOrder",
    "DeclineOrder",
    "LIST_PRICES",
    "OrderConfirmed",
    "OrderDeclined",
    "OrderLine",
    "PriceList",
    "PriceMismatchError",
    "ReleaseStock",
    "ReserveStock",
    "Stock",
    "StockAdded",
    "StockEvent",
    "StockReleased",
    "StockReservationRefused",
    "StockReserved",
    "stock_id_of",
    "run_workload",
    "SetBasedRebuildError",
    "set_based_rebuild",
    "ADA",
    "ALAN",
    "Address",
    "CancelOrder",
    "CancelOrderHandler",
    "Catalogue",
    "CreateOrder",
    "CreateOrderHandler",
    "CrudOrders",
    "Customer",
    "CustomerService",
    "CustomerStatsProjection",
    "CustomerStatsView",
    "DEMO_ADDRESS",
    "DEMO_CUSTOMERS",
    "DEMO_PRICES",
    "DEMO_STOCK",
    "GRACE",
    "GetCustomerStats",
    "GetCustomerStatsHandler",
    "GetOrderById",
    "GetOrderByIdHandler",
    "GetOrdersByCustomer",
    "GetOrdersByCustomerHandler",
    "GetProductSales",
    "GetProductSalesHandler",
    "InsufficientInventoryError",
    "InvalidOperationError",
    "InventoryService",
    "Lab",
    "LabFolderMismatchError",
    "NotALabFolderError",
    "Order",
    "OrderCancelled",
    "OrderCreated",
    "OrderEvent",
    "OrderItem",
    "OrderItemAdded",
    "OrderNotFoundError",
    "OrderProjection",
    "OrderProjectionV2",
    "OrderRejected",
    "OrderShipped",
    "OrderStatus",
    "OrderView",
    "ProductSalesProjection",
    "ProductSalesView",
    "ReadYourWrites",
    "ShipOrder",
    "ShipOrderHandler",
    "UnknownCustomerError",
    "UnknownProductError",
    "build_lab",
    "code_size",
    "created_order_id",
    "probe_read_your_writes",
    "reset_lab",
    "simulate_burst",
    "workload_customers",
    "workload_stock",
]
