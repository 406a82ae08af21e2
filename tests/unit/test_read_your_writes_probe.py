"""The read-your-writes probe shows every kind of stale read it counts.

Notebook 04's probe once counted only *missing* reads: the workload cancelled or shipped
an order in the same instant it created it, so no projector could have run in between and
an *outdated* read (the order found, at an older version) could never happen.
"""

import pytest

from cqrs_lab.orders import build_lab, probe_read_your_writes
from cqrs_lab.orders.workloads.workload import workload_customers, workload_stock

# The notebook's burst: 60 orders, one every 0.5 s; 30 events projected every 5 s.
BURST = dict(orders=60, seconds_between=0.5, projector_every=5, batch_size=30)


def shop(consistency="async"):
    return build_lab(
        seed=4, customers=workload_customers(20), stock=workload_stock(), consistency=consistency
    )


def test_an_async_lab_shows_both_missing_and_outdated_reads():
    result = probe_read_your_writes(shop(), **BURST)
    # 60 creations, 3 cancels (orders 7, 27, 47), 6 shipments (3, 13, ...): one read each.
    assert result.reads == 69 and result.fresh == 0
    assert result.missing >= 60  # a creation is never readable before the projector runs
    assert result.outdated > 0
    assert result.missing + result.outdated == result.stale == 69


def test_outdated_reads_come_only_from_changes_to_orders_already_projected():
    result = probe_read_your_writes(shop(), **BURST)
    assert result.outdated <= 9  # only the 9 cancels and shipments can find an older version


def test_a_change_sent_in_the_same_instant_as_its_creation_can_only_be_missing():
    result = probe_read_your_writes(shop(), **BURST, follow_up_after=0)
    assert (result.missing, result.outdated) == (69, 0)


def test_the_longer_customers_wait_to_change_the_more_changes_find_their_order():
    soon = probe_read_your_writes(shop(), **BURST, follow_up_after=5)
    later = probe_read_your_writes(shop(), **BURST, follow_up_after=20)
    assert 0 < soon.outdated < later.outdated


def test_an_inline_lab_reads_every_write_including_delayed_changes():
    result = probe_read_your_writes(shop("inline"), **BURST)
    assert (result.reads, result.fresh, result.stale) == (69, 69, 0)


def test_a_negative_follow_up_delay_is_refused_by_name():
    with pytest.raises(ValueError, match="follow_up_after"):
        probe_read_your_writes(shop(), **BURST, follow_up_after=-1)
