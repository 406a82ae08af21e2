"""The standard workload produces the history the benchmarks and notebooks rely on."""

from cqrs_lab.orders import build_lab
from cqrs_lab.orders.workloads.workload import (
    WORKLOAD_ORDER_TOTAL,
    run_workload,
    workload_customers,
    workload_stock,
)


def test_forty_orders_give_the_documented_event_counts_and_totals():
    lab = build_lab(customers=workload_customers(500), stock=workload_stock())
    ids = run_workload(lab, 40)
    lab.catch_up()
    types = lab.events().type.value_counts().to_dict()
    assert types == {
        "OrderItemAdded": 120,
        "OrderCreated": 40,
        "OrderShipped": 4,
        "OrderCancelled": 2,
    }
    assert WORKLOAD_ORDER_TOTAL == 116.0
    summary = lab.read_model("order_summary")
    assert len(ids) == 40 == len(summary)
    assert summary.total_amount.sum() == 40 * 116.0
    assert lab.read_model("customer_stats").total_spent.sum() == 38 * 116.0
