"""The gap lesson's demonstrations (notebook 11) on a real PostgreSQL: each shows what it says."""

import pytest

from cqrs_lab.breaking import gaps


def test_a_bigserial_follower_never_reads_the_position_that_committed_late(postgres_dsn):
    late = gaps.late_commit_with_bigserial(postgres_dsn)
    assert (late.first_read, late.second_read, late.skipped) == ([2], [], [1])


def test_the_lab_store_holds_a_second_append_back_until_the_first_commits(postgres_dsn):
    assert gaps.second_writer_waits_for_the_first(postgres_dsn)


def test_the_xid_filter_skips_with_a_position_checkpoint_but_not_with_the_pair(postgres_dsn):
    crossed = gaps.late_commit_with_xid_filter(postgres_dsn)
    assert crossed.positions_by_xid_order == [2, 1]
    assert crossed.position_checkpoint.skipped == [1]
    assert crossed.composite_checkpoint.second_read == [1]
    assert crossed.composite_checkpoint.skipped == []


@pytest.mark.parametrize("design", ["table lock", "xid", "lab store"])
def test_the_safe_designs_lose_nothing_to_four_writers(postgres_dsn, design):
    run = gaps.many_writers(postgres_dsn, design, appends_per_writer=60)
    assert run.events == 4 * 60 * 2
    safe = {"xid": "xid filter, (xid, position)"}.get(design, "position > checkpoint")
    assert run.skipped[safe] == 0


def test_an_unknown_design_is_named(postgres_dsn):
    with pytest.raises(ValueError, match="'sequence'"):
        gaps.many_writers(postgres_dsn, "sequence")
