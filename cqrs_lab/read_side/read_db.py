"""Read-only access to the read models, for queries and for you.

The seed forbids changing a read model directly ("NEVER modify read model directly"):
only projections write, and only from events. This wrapper makes that a rule the code
enforces: every statement is parsed by DuckDB first, and anything but a SELECT is refused.
It reads through its own cursor, so it sees only what the projector has committed.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

_READ_ONLY = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}


class ReadOnlyError(PermissionError):
    """A write was attempted through the read-only read-model connection."""


class ReadOnlyConnection:
    """A DuckDB connection that answers SELECTs and refuses everything else.

    Raises:
        ReadOnlyError: for any statement that is not a SELECT (UPDATE, INSERT, DROP, ...).
    """

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self._cursor = connection.cursor()

    def execute(self, sql: str, parameters: Any = None) -> duckdb.DuckDBPyConnection:
        """Run one SELECT; returns a DuckDB result (``.fetchall()``, ``.fetchone()``, ``.df()``)."""
        self._check(sql)
        return self._cursor.execute(sql, parameters)

    def df(self, sql: str, parameters: Any = None) -> pd.DataFrame:
        """Run one SELECT and return a pandas DataFrame."""
        return self.execute(sql, parameters).df()

    def table(self, name: str) -> pd.DataFrame:
        """A whole table (a read model) as a DataFrame, rows in key order."""
        if name not in self.tables():
            raise LookupError(f"no read-model table {name!r}; have: {', '.join(self.tables())}")
        return self.df(f'SELECT * FROM "{name}" ORDER BY ALL')

    def tables(self) -> list[str]:
        """Names of the tables in the read database."""
        rows = self.execute("SELECT table_name FROM duckdb_tables() ORDER BY table_name")
        return [name for (name,) in rows.fetchall()]

    @staticmethod
    def _check(sql: str) -> None:
        statements = duckdb.extract_statements(sql)
        for statement in statements:
            if statement.type not in _READ_ONLY:
                kind = statement.type.name
                raise ReadOnlyError(
                    f"read_db is read-only: {kind} refused. Read models change only "
                    "through events: dispatch a command and let the projector update them."
                )
