"""One warehouse for every API worker: the stock streams in PostgreSQL, beside the orders.

Each uvicorn worker is a process with its own lab. If each kept its stock in memory, each
would believe it had all five armchairs, and two workers together would sell ten. So the
workers share the stock streams in the same PostgreSQL database as the order log, in a
schema of their own (``<the log's schema>_stock``): a second :class:`PostgresEventStore`
with the same tables and the same serialised, version-checked appends. Two workers
reserving the last armchair append to one stream at one expected version; PostgreSQL
takes the first, refuses the second (``ConcurrencyError``), and that worker reloads the
stock and is told what is really left.

Why a schema of their own and not the order log: the order log (and so every projector,
checkpoint and notebook that reads it) stays as it was before stock was taken; the saga
of notebook 12 is the lab where orders and stock share one log on purpose.

Seeded once: workers that start together all find the stock streams missing and all try
to open them; each opening is an append expecting version 0, so PostgreSQL takes one and
refuses the rest, which then find the stock already there (never doubled).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from cqrs_lab.orders.stock import Stock
from cqrs_lab.time_and_ids.clock import Clock
from cqrs_lab.write_side.event_store import ConcurrencyError
from cqrs_lab.write_side.postgres_event_store import PostgresEventStore

#: Appended to the order log's schema name: where the stock streams live.
STOCK_SCHEMA_SUFFIX = "_stock"


def stock_dsn(dsn: str) -> str:
    """The DSN of the stock schema beside the order log at ``dsn`` (created if missing).

    Raises:
        ValueError: if ``dsn``'s ``search_path`` names no schema that exists.
    """
    import psycopg
    from psycopg import conninfo, sql

    with psycopg.connect(dsn, autocommit=True) as connection, connection.transaction():
        (schema,) = connection.execute("SELECT current_schema()").fetchone()
        if schema is None or not re.fullmatch(r"[a-z_][a-z0-9_]*", schema):
            raise ValueError(
                f"the order log's schema {schema!r} is missing or not a plain lowercase name"
            )
        stock_schema = f"{schema}{STOCK_SCHEMA_SUFFIX}"
        # Workers start at the same moment: one creates the schema, the others wait.
        connection.execute("SELECT pg_advisory_xact_lock(hashtext('cqrs_lab stock schema'))")
        connection.execute(
            sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(stock_schema))
        )
    options = conninfo.conninfo_to_dict(dsn).get("options") or ""
    # The last -c search_path wins: the stock store's tables go to the stock schema.
    return conninfo.make_conninfo(dsn, options=f"{options} -c search_path={stock_schema}")


def shared_stock_store(
    dsn: str, stock: Mapping[str, int], clock: Clock | None = None
) -> PostgresEventStore:
    """The stock streams every lab over the order log at ``dsn`` shares, each product
    opened with ``stock``'s units unless a worker opened it before (then left as it is)."""
    store = PostgresEventStore(stock_dsn(dsn), clock)
    for product_id, units in stock.items():
        opening = Stock.open(product_id, units)
        try:
            store.append(opening.id, opening.pending_events, expected_version=0)
        except ConcurrencyError:
            pass  # opened already (by a worker that started with this one, or before)
    return store
