"""PostgreSQL for the tests: one private server per test session, a fresh schema per test.

The server is started by the project itself (:class:`cqrs_lab.write_side.postgres_server.
PostgresServer`), so these tests need no PostgreSQL installed by hand, and they are never
skipped: a machine without PostgreSQL programs fails them with how to get one.
"""

from __future__ import annotations

from uuid import uuid4

import pytest

from cqrs_lab.write_side.postgres_server import PostgresServer


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL server, stopped and deleted after the session."""
    with PostgresServer() as server:
        yield server


@pytest.fixture
def postgres_dsn(postgres_server):
    """A connection string whose tables live in an empty schema of its own, dropped after.

    A schema is ten times quicker to make than a database, and just as separate here.
    """
    import psycopg  # here, not at the top: a suite run without the postgres extra still collects

    name = f"test_{uuid4().hex[:16]}"
    with psycopg.connect(postgres_server.dsn, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {name}")
    yield f"{postgres_server.dsn} options='-c search_path={name}'"
    with psycopg.connect(postgres_server.dsn, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA {name} CASCADE")
