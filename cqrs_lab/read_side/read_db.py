"""Read-only access to the read models, for queries and for you.

The seed forbids changing a read model directly ("NEVER modify read model directly"):
only projections write, and only from events. Checking what a statement *looks* like
cannot enforce that (DuckDB calls ``WITH x AS (DELETE ... RETURNING *) SELECT ...`` a
SELECT, and ``EXPLAIN ANALYZE UPDATE`` runs its update), so the rule is DuckDB's own:

* every statement runs alone in a ``BEGIN TRANSACTION READ ONLY`` transaction, which is
  then rolled back: DuckDB refuses any write to any table, checkpoint or sequence in it;
* the database instance has external access disabled (no file, network, extension or
  Python-variable reads) and its configuration locked, so no statement can reach outside
  the lab or change how the projector runs;
* one statement per call, and only a query (a SELECT, or EXPLAIN of one): a session
  setting such as ``SET schema`` would outlive the transaction;
* callers get data back (:class:`ReadResult`, DataFrames), never a cursor.

Each read opens a fresh snapshot, so it sees everything the projector has committed.
"""

from __future__ import annotations

import contextlib
import re
import threading
from typing import Any

import duckdb
import pandas as pd

from cqrs_lab.read_side.read_result import ReadResult

#: ``EXPLAIN [ANALYZE]`` and the statement it wraps (which ``ANALYZE`` runs).
_EXPLAIN = re.compile(r"\s*EXPLAIN(\s+ANALYZE)?\s", re.IGNORECASE)

#: Session settings the lab's own code still changes on its connections after the lock
#: (blue-green and the consistency check build in a schema; tests set the time zone).
#: A read cannot change them: SET is not a read.
SESSION_SETTINGS = ("schema", "search_path", "TimeZone")

_BEGIN = duckdb.extract_statements("BEGIN TRANSACTION READ ONLY")[0]
_ROLLBACK = duckdb.extract_statements("ROLLBACK")[0]
_HINT = "Read models change only through events: dispatch a command and let the projector run."


class ReadOnlyError(PermissionError):
    """A read-side statement tried to write, or to reach outside the lab's database."""


def lock_down(connection: duckdb.DuckDBPyConnection) -> None:
    """Disable external access and lock the configuration of ``connection``'s database.

    Both are instance-wide and cannot be undone while the database is open: every
    connection to it (the projector's too) loses file access and ``SET`` of anything but
    :data:`SESSION_SETTINGS`. The lab needs neither. Safe to call twice.
    """
    settings = dict(
        connection.execute(
            "SELECT name, value FROM duckdb_settings() "
            "WHERE name IN ('enable_external_access', 'lock_configuration')"
        ).fetchall()
    )
    if settings["enable_external_access"] != "false":
        connection.execute("SET GLOBAL enable_external_access = false")
    if settings["lock_configuration"] != "true":
        connection.execute(f"SET GLOBAL allowed_configs = {list(SESSION_SETTINGS)}")
        connection.execute("SET GLOBAL lock_configuration = true")


class ReadOnlyConnection:
    """Reads the read models of one DuckDB database; cannot change them or reach outside.

    Creating one calls :func:`lock_down` on the database. One statement per call;
    safe to share between threads (calls take turns on a cursor of their own).

    Raises (from every method that takes SQL):
        ValueError: for an empty string or more than one statement.
        ReadOnlyError: for any statement that would write, configure, attach, copy,
            load, or read files; the database is left exactly as it was.
    """

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        lock_down(connection)
        self._cursor = connection.cursor()
        self._lock = threading.Lock()

    def execute(self, sql: str, parameters: Any = None) -> ReadResult:
        """Run one read; returns its rows (``.fetchall()``, ``.fetchone()``, ``.df()``)."""
        return self._read(sql, parameters, ReadResult.of)

    def df(self, sql: str, parameters: Any = None) -> pd.DataFrame:
        """Run one read and return a pandas DataFrame (DuckDB's own column types)."""
        return self._read(sql, parameters, lambda result: result.df())

    def table(self, name: str) -> pd.DataFrame:
        """A whole table (a read model) as a DataFrame, rows in key order."""
        if name not in self.tables():
            raise LookupError(f"no read-model table {name!r}; have: {', '.join(self.tables())}")
        return self.df(f'SELECT * FROM "{name}" ORDER BY ALL')

    def tables(self) -> list[str]:
        """Names of the tables in the read database."""
        rows = self.execute("SELECT table_name FROM duckdb_tables() ORDER BY table_name")
        return [name for (name,) in rows.fetchall()]

    def _read(self, sql: str, parameters: Any, fetch: Any) -> Any:
        statement = _one_read(sql)
        with self._lock:
            self._cursor.execute(_BEGIN)
            try:
                # The parsed statement itself runs: nothing is parsed twice.
                return fetch(self._cursor.execute(statement, parameters))
            except duckdb.TransactionException as error:
                raise ReadOnlyError(
                    f"read_db is read-only: {_first_line(error)}. {_HINT}"
                ) from error
            except duckdb.PermissionException as error:
                raise ReadOnlyError(
                    f"read_db reads the lab's read models only: {_first_line(error)}"
                ) from error
            except duckdb.InvalidInputException as error:
                if "configuration has been locked" not in str(error):
                    raise
                raise ReadOnlyError(f"read_db is read-only: {_first_line(error)}") from error
            finally:
                self._cursor.execute(_ROLLBACK)


def _one_read(sql: str) -> duckdb.Statement:
    """The one statement in ``sql``, if it is a SELECT or an EXPLAIN of one.

    Only a session setting could outlive the transaction (``SET schema``, even wrapped as
    ``EXPLAIN ANALYZE SET ...``), so anything but a query is refused before it runs.
    """
    if not isinstance(sql, str):
        raise TypeError(f"read_db takes SQL as a string, got {type(sql).__name__}")
    statements = duckdb.extract_statements(sql)
    for statement in statements:
        _refuse_unless_query(statement)
    if len(statements) != 1:
        count = len(statements) or "none"
        raise ValueError(f"read_db runs exactly one SQL statement per call; got {count} in {sql!r}")
    return statements[0]


def _refuse_unless_query(statement: duckdb.Statement) -> None:
    if statement.type == duckdb.StatementType.EXPLAIN:
        # What follows EXPLAIN must parse on its own as one query, else it is refused.
        explain = _EXPLAIN.match(statement.query)
        with contextlib.suppress(duckdb.ParserException):
            wrapped = duckdb.extract_statements(statement.query[explain.end() :]) if explain else []
            if len(wrapped) == 1 and wrapped[0].type == duckdb.StatementType.SELECT:
                return
        raise ReadOnlyError(
            f"read_db is read-only: it explains queries only. {statement.query!r} refused"
        )
    if statement.type != duckdb.StatementType.SELECT:
        raise ReadOnlyError(f"read_db is read-only: {statement.type.name} refused. {_HINT}")


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0]
