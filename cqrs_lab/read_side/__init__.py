"""The read side: projections into DuckDB, the projector that feeds them, the read-only connection, rebuilds."""
