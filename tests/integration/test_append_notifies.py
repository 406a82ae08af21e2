"""Every append to PostgresEventStore wakes listeners in other processes when it commits."""

from uuid import uuid4

import psycopg
import pytest

from cqrs_lab import ConcurrencyError, PostgresEventStore
from cqrs_lab.orders import OrderCancelled
from cqrs_lab.write_side.postgres_event_store import NOTIFY_CHANNEL


def test_an_append_notifies_its_new_head_at_commit_and_a_refused_one_does_not(postgres_dsn):
    store = PostgresEventStore(postgres_dsn)
    stream = uuid4()
    with psycopg.connect(postgres_dsn, autocommit=True) as listener:
        listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
        store.append(
            stream,
            [OrderCancelled(order_id=stream, reason=r, version=v) for v, r in [(1, "a"), (2, "b")]],
            expected_version=0,
        )
        heard = [n.payload for n in listener.notifies(timeout=5, stop_after=1)]
        assert heard == ["2"]
        with pytest.raises(ConcurrencyError):
            store.append(stream, [OrderCancelled(order_id=stream, reason="c", version=1)],
                         expected_version=0)  # fmt: skip
        assert [n.payload for n in listener.notifies(timeout=0.2)] == []
    store.close()
