"""A JupyterLab server and a headless Chromium page for the browser tests.

The server runs in its own process group on 127.0.0.1 with a random token and a free
port, over a temporary copy of the notebooks (the repo's files are never written), with
its settings, workspaces and runtime files in that temporary directory too.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
STARTUP_TIMEOUT = 120.0
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

# Settings that keep the Lab quiet and render every cell (no windowing), so a test sees
# the whole notebook in the DOM and no news or update popup covers a button.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


@dataclass(frozen=True)
class LabServer:
    """A running JupyterLab: where it is and how to get in."""

    base_url: str
    token: str
    root: Path
    """The (temporary) directory it serves."""

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}?token={self.token}"


def _clear_outputs(notebook: Path) -> None:
    """Drop stored outputs and counts, so what the page shows was produced by this run."""
    content = json.loads(notebook.read_text())
    for cell in content["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    notebook.write_text(json.dumps(content))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_ready(server: LabServer, process: subprocess.Popen, log: Path) -> None:
    """Poll the server's REST API until it answers (no blind sleeping)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(server.url("/api/status"), timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)  # polling interval, not a wait for an outcome
    raise TimeoutError(f"JupyterLab not ready after {STARTUP_TIMEOUT}s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory):
    """JupyterLab over a temporary copy of notebooks/; stopped (with its kernels) at the end."""
    if not CHROMIUM.exists():
        pytest.skip(
            "the browser tests need Chromium at /usr/bin/chromium (apt-get install chromium)"
        )
    pytest.importorskip("playwright.sync_api", reason="the browser tests need playwright")
    tmp = tmp_path_factory.mktemp("jupyterlab")
    root = tmp / "notebooks"
    shutil.copytree(NOTEBOOKS, root)
    for notebook in root.glob("*.ipynb"):
        _clear_outputs(notebook)
    for name, settings in LAB_SETTINGS.items():
        path = tmp / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))
    env = dict(
        os.environ,
        JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
        JUPYTER_CONFIG_DIR=str(tmp / "config"),
        JUPYTERLAB_SETTINGS_DIR=str(tmp / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
    )
    server = LabServer(f"http://127.0.0.1:{_free_port()}", secrets.token_hex(16), root)
    log = tmp / "jupyterlab.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyter",
                "lab",
                "--no-browser",
                f"--ServerApp.token={server.token}",
                "--ServerApp.allow_root=True",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={server.base_url.rsplit(':', 1)[1]}",
                "--ServerApp.port_retries=0",
                f"--ServerApp.root_dir={root}",
            ],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: teardown stops kernels too
        )
    try:
        _wait_until_ready(server, process, log)
        yield server
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """Stop the server's process group (the server and the kernels it started)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(lab_server):
    """Headless Debian Chromium driven by Playwright (it cannot download its own here).

    Module-scoped on purpose: while Playwright's sync API is open it holds a running
    event loop, and later tests that call ``asyncio.run`` would fail."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield chromium
        finally:
            chromium.close()
