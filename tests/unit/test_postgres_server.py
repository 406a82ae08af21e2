"""The throwaway PostgreSQL server: it says why it could not start and leaves nothing behind."""

import shutil
import tempfile
from pathlib import Path

import psycopg
import pytest

from cqrs_lab.write_side.postgres_server import PostgresServer


@pytest.fixture
def private_tmp(monkeypatch):
    """Temporary folders go to a folder of this test's own (open to the server's user)."""
    folder = Path(tempfile.mkdtemp(prefix="cqrs_lab_test_"))
    folder.chmod(0o755)
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    shutil.rmtree(folder)


def test_a_stopped_server_deletes_its_folder_and_has_no_dsn(private_tmp):
    server = PostgresServer()
    dsn = server.start()
    folder = server.folder
    with psycopg.connect(dsn) as connection:
        assert connection.execute("SELECT current_setting('listen_addresses')").fetchone() == ("",)
    server.stop()
    assert not folder.exists() and list(private_tmp.iterdir()) == []
    with pytest.raises(RuntimeError, match="not running"):
        server.dsn  # noqa: B018


def test_a_failed_start_says_why_and_leaves_nothing_behind(private_tmp, monkeypatch):
    programs = private_tmp / "broken-bin"
    programs.mkdir(mode=0o755)
    for name in ("initdb", "pg_ctl", "postgres"):
        program = programs / name
        program.write_text("#!/bin/sh\necho could not create directory: disk full\nexit 3\n")
        program.chmod(0o755)
    monkeypatch.setenv("CQRS_LAB_PG_BIN", str(programs))

    server = PostgresServer()
    with pytest.raises(RuntimeError, match="initdb failed \\(exit 3\\):\ncould not create"):
        server.start()
    assert server.folder is None and [p.name for p in private_tmp.iterdir()] == ["broken-bin"]
