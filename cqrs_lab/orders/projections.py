"""The order read models, for code that imports them from here; each has its own file.

``order_summary`` (one row per order) is in :mod:`cqrs_lab.orders.order_summary`,
``customer_stats`` (one row per customer) in :mod:`cqrs_lab.orders.customer_stats` and
``product_sales`` (one row per product) in :mod:`cqrs_lab.orders.product_sales`.
"""

from cqrs_lab.orders.customer_stats import CustomerStatsProjection
from cqrs_lab.orders.order_summary import OrderProjection

__all__ = ["CustomerStatsProjection", "OrderProjection"]
