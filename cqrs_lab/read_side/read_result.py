"""What a read-side query hands back: rows already fetched, not a cursor.

A DuckDB cursor can run the next statement (``result.execute("DROP TABLE ...")``), so the
read side never returns one. A :class:`ReadResult` is plain data with the cursor's
reading methods, so code written against DuckDB's results keeps working.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import pandas as pd


class ReadResult:
    """The rows and column names of one read, fetched before its transaction ended.

    ``fetchone`` and ``fetchall`` consume rows as a DB-API cursor does; ``rows`` always
    holds all of them.
    """

    def __init__(self, description: list[tuple], rows: list[tuple]) -> None:
        self.description = description
        """One DB-API 7-tuple per column; ``description[i][0]`` is the column's name."""
        self.rows = tuple(rows)
        """Every row, in the order the query returned them."""
        self._next = 0

    @classmethod
    def of(cls, result: duckdb.DuckDBPyConnection) -> ReadResult:
        """Fetch everything ``result`` has (a DuckDB result still inside its transaction)."""
        return cls(result.description or [], result.fetchall())

    @property
    def columns(self) -> list[str]:
        """The column names, in order."""
        return [column[0] for column in self.description]

    def fetchone(self) -> tuple | None:
        """The next row, or None when all were fetched."""
        if self._next >= len(self.rows):
            return None
        self._next += 1
        return self.rows[self._next - 1]

    def fetchall(self) -> list[tuple]:
        """The rows not fetched yet."""
        rest, self._next = self.rows[self._next :], len(self.rows)
        return list(rest)

    def df(self) -> pd.DataFrame:
        """All rows as a DataFrame (pandas infers the dtypes; ``read_db.df`` keeps DuckDB's)."""
        return pd.DataFrame(list(self.rows), columns=self.columns)

    def __iter__(self) -> Iterator[tuple]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __repr__(self) -> str:
        return f"ReadResult(columns={self.columns}, rows={len(self.rows)})"

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(
            f"a ReadResult is data, not a cursor: it has no {name!r}. "
            "Run another statement through read_db."
        )
