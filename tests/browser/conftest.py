"""A JupyterLab server, a headless Chromium, and the page helpers every browser test uses.

The server runs in its own process group on 127.0.0.1 with a random token and a free
port, over a temporary copy of the notebooks (the repo's files are never written), with
its settings, workspaces and runtime files in that temporary directory too.

A cold JupyterLab on a busy 2-core machine is slow in ways a fixed wait cannot cover: the
kernel list loads late (a "Select Kernel" dialog may appear and must get Python, never
"No Kernel"), the kernel starts late, and a click made before it is idle can be lost.
:func:`open_notebook` waits for what matters, read from the server's REST API (the
notebook's session has a Python kernel, and it is idle) instead of assuming, then runs
every cell and waits for the kernel to be idle again. :class:`ClickTimings` is the one
click-to-redraw measurement both test modules print (a measurement, not an assert).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
except ImportError:  # the fixtures skip these tests without playwright
    PlaywrightTimeoutError = TimeoutError

CHROMIUM = Path("/usr/bin/chromium")
STARTUP_TIMEOUT = 120.0
LOAD_TIMEOUT_MS = 240_000  # Lab start, kernel start and Run All on a loaded 2-core machine
UPDATE_TIMEOUT_MS = 30_000
STALLED_S = 30.0  # an idle kernel this long while cells still show [*] never got them
#: A cell's output on stderr: tracebacks, and warnings (which are not failures).
STDERR_OUTPUT = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
POLL = 0.25  # seconds between two looks at the server or the page (never a wait for an outcome)
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

    def api(self, path: str):
        """GET ``/api/<path>`` as JSON."""
        with urllib.request.urlopen(self.url(f"/api/{path}"), timeout=10) as response:
            return json.load(response)

    def start_kernel_for(self, notebook: str) -> None:
        """Give ``notebook`` a session with a Python kernel before its page opens.

        A page that opens onto an existing session joins its kernel, so no "Select
        Kernel" dialog can appear half-way through Run All and swap the kernel under
        cells already sent (a clean-clone CI run lost a Run All that way: the cells
        stayed ``[*]`` on a kernel that never got them)."""
        if self.kernel_of(notebook):
            return
        body = {
            "path": notebook,
            "name": notebook,
            "type": "notebook",
            "kernel": {"name": "python3"},
        }
        request = urllib.request.Request(
            self.url("/api/sessions"),
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            json.load(response)

    def kernel_of(self, notebook: str) -> dict | None:
        """The kernel of ``notebook``'s session (name, execution_state), or None."""
        for session in self.api("sessions"):
            if session.get("path", "").endswith(notebook) and session.get("kernel"):
                return session["kernel"]
        return None


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


# -- the page: open a notebook, wait for its kernel, run it ---------------------------------

BUSY_NOTEBOOK_CELLS = [
    "from cqrs_lab.orders import build_lab\n"
    "from cqrs_lab.orders.workloads.workload import run_workload, workload_customers, workload_stock\n"
    "from cqrs_lab.presentation import Playground",
    "lab = build_lab(seed=11, customers=workload_customers(), stock=workload_stock(),\n"
    "                max_events_behind=None)\n"
    "run_workload(lab, 2500)\n"
    "lab.catch_up()\n"
    "assert lab.event_store.head >= 10_000",
    "Playground(lab)",
]


def write_busy_notebook(server: LabServer, name: str) -> str:
    """A notebook with a playground over 10,000+ events, in the served folder."""
    cells = [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": s}
        for s in BUSY_NOTEBOOK_CELLS
    ]
    notebook = {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (server.root / name).write_text(json.dumps(notebook))
    return name


def accept_any_dialog(page, seen: list[str]) -> None:
    """Accept a JupyterLab dialog that would block the page (e.g. "Select Kernel" while
    the kernel list is still loading), choosing the notebook's own running kernel, else
    Python, never "No Kernel"."""
    dialog = page.locator(".jp-Dialog")
    if not dialog.count():
        return
    text = " ".join(dialog.all_inner_texts())
    seen.append(text)
    warnings.warn(f"accepted a JupyterLab dialog: {text!r}", stacklevel=2)
    kernels = page.locator(".jp-Dialog select")
    if kernels.count():
        options = kernels.first.locator("option").all_inner_texts()
        python = [o for o in options if "Python" in o]
        if not python:
            return  # the kernel list is still loading: look again at the next poll
        # The notebook's own session (started before the page opened) is listed by its
        # name: joining it keeps the kernel; "Python 3" would start a second one.
        named = re.search(r'Select kernel for: "([^"]+)"', text)
        own = [o for o in options if named and o.startswith(f"{named.group(1)} (")]
        kernels.first.select_option(label=(own or python)[0], timeout=10_000)
    accept = page.locator(".jp-Dialog .jp-mod-accept")
    if accept.count():
        accept.first.click(timeout=10_000)
    else:
        page.keyboard.press("Escape")


def wait_for_idle_kernel(page, server: LabServer, notebook: str, seen: list[str]) -> None:
    """Until ``notebook``'s session has a Python kernel that is idle and the page shows it.

    A dialog on the way gets Python; a notebook left with "No Kernel" is given Python
    through the toolbar's kernel button (the same dialog).
    """
    deadline = time.monotonic() + LOAD_TIMEOUT_MS / 1000
    kernel_name = page.locator(".jp-NotebookPanel-toolbar .jp-Toolbar-kernelName")
    while time.monotonic() < deadline:
        accept_any_dialog(page, seen)
        kernel = server.kernel_of(notebook)
        shown = kernel_name.first.inner_text() if kernel_name.count() else ""
        if kernel and kernel.get("execution_state") == "idle" and "No Kernel" not in shown:
            return
        if "No Kernel" in shown and not page.locator(".jp-Dialog").count():
            kernel_name.first.click()  # opens "Select Kernel": Python is chosen above
        time.sleep(POLL)
    raise AssertionError(
        f"{notebook}: no idle Python kernel after {LOAD_TIMEOUT_MS // 1000}s "
        f"(session kernel {server.kernel_of(notebook)}, dialogs seen: {seen})"
    )


def _all_cells_ran(page) -> bool:
    return page.evaluate(
        """() => {
          const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
          return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }"""
    )


def _cells_waiting(page) -> bool:
    """Whether some cell still shows ``[*]`` (sent, not yet run)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
          .some(p => /\\[\\*\\]/.test(p.textContent))"""
    )


def _traceback_shown(page) -> str | None:
    """The first error output on the page, if a cell failed."""
    for text in page.locator(STDERR_OUTPUT).all_inner_texts():
        if "Traceback" in text:  # a warning on stderr is not a failure
            return text
    return None


def run_all_cells(
    page,
    server: LabServer,
    notebook: str,
    seen: list[str],
    retries: int = 2,
    deadline: float | None = None,
) -> None:
    """Run > Run All Cells on an idle kernel, then wait until every cell ran and the kernel
    is idle again. A click that did not start a cell (seen on a cold Lab) is repeated, and
    so is a Run All whose cells still show ``[*]`` on a kernel idle for ``STALLED_S`` (they
    were sent to a kernel that was replaced). A cell that failed is reported at once with
    its traceback, never run again: with ``stop_on_error`` the kernel idles after a failure
    too, and a second Run All would hide a failure that comes and goes. All retries share
    one deadline."""
    started = (
        "() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
        ".some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))"
    )
    for _ in range(3):
        wait_for_idle_kernel(page, server, notebook, seen)
        try:
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click(
                timeout=10_000
            )
            page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click(
                timeout=10_000
            )
            page.wait_for_function(started, timeout=20_000)
            break
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")  # close the menu if it is still open
    else:
        raise AssertionError(f"Run All Cells never started a cell; dialogs seen: {seen}")
    if deadline is None:
        deadline = time.monotonic() + LOAD_TIMEOUT_MS / 1000
    idle_since = None
    while time.monotonic() < deadline:
        kernel = server.kernel_of(notebook) or {}
        idle = kernel.get("execution_state") == "idle"
        if idle and _all_cells_ran(page):
            return
        if idle and (failure := _traceback_shown(page)):
            raise AssertionError(f"{notebook}: a cell failed during Run All:\n{failure[-3000:]}")
        idle_since = (idle_since or time.monotonic()) if idle else None
        stalled = idle_since and time.monotonic() - idle_since > STALLED_S
        if stalled and retries and _cells_waiting(page):
            # An idle kernel with cells still waiting never got them (its kernel changed
            # under the Run All): send them again, once or twice, and say so.
            warnings.warn(
                f"{notebook}: cells waited on an idle kernel; Run All again", stacklevel=2
            )
            run_all_cells(page, server, notebook, seen, retries - 1, deadline)
            return
        accept_any_dialog(page, seen)
        time.sleep(POLL)
    raise AssertionError(
        f"{notebook}: cells still running after {LOAD_TIMEOUT_MS // 1000}s "
        f"(session kernel {server.kernel_of(notebook)}, dialogs seen: {seen})"
    )


def open_notebook(browser, server: LabServer, notebook: str, workspace: str, app: str):
    """Open ``notebook`` in its own Lab workspace on an idle Python kernel, run all cells,
    and return the page once ``app`` (a CSS selector) is drawn and no cell failed.

    On a cold start the widget manager may still be connecting when the app's output
    arrives; JupyterLab then shows "Error displaying widget: model not found" instead
    (jupyter-widgets/ipywidgets#3231). The cells are run once more then, on a kernel that
    is ready; a second failure is a real one and reports what the cells show.
    """
    server.start_kernel_for(notebook)
    page = browser.new_page(viewport={"width": 1600, "height": 1100})
    page.set_default_timeout(LOAD_TIMEOUT_MS)
    page.goto(server.url(f"/lab/workspaces/{workspace}/tree/{notebook}"))
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
    seen: list[str] = []
    for attempt in range(2):
        run_all_cells(page, server, notebook, seen)
        try:
            page.wait_for_selector(app, timeout=30_000)
            break
        except PlaywrightTimeoutError:
            if attempt:
                outputs = page.locator(".jp-OutputArea-output").all_inner_texts()
                raise AssertionError(
                    f"no {app} after two Run All; outputs: {outputs[-5:]}"
                ) from None
            warnings.warn(
                f"{app} did not render after Run All; running all cells again", stacklevel=2
            )
    errors = page.locator(STDERR_OUTPUT)
    tracebacks = [t for t in errors.all_inner_texts() if "Traceback" in t or "Error" in t]
    assert not tracebacks, tracebacks
    page.set_default_timeout(UPDATE_TIMEOUT_MS)
    return page


# -- measuring click-to-redraw ----------------------------------------------------------------

# Click a button and resolve with the milliseconds until `selector`'s attribute changes.
ROUND_TRIP_JS = """
async ([button, selector, attribute]) => {
  const read = () => document.querySelector(selector)?.getAttribute(attribute);
  const before = read();
  const start = performance.now();
  await new Promise((resolve, reject) => {
    const observer = new MutationObserver(() => {
      if (read() !== before) { observer.disconnect(); resolve(); }
    });
    observer.observe(document.body, {subtree: true, childList: true, attributes: true});
    setTimeout(() => { observer.disconnect(); reject(new Error(selector + " never changed")); },
               TIMEOUT);
    document.querySelector(button).click();
  });
  return performance.now() - start;
}
""".replace("TIMEOUT", str(UPDATE_TIMEOUT_MS))


@dataclass
class ClickTimings:
    """Click-to-redraw times of one test, by what was clicked; printed when it ends."""

    title: str = ""
    ms: dict[str, list[float]] = field(default_factory=dict)

    def click(self, page, label: str, button: str, selector: str, attribute: str) -> float:
        """Click ``button``; the time until ``selector``'s ``attribute`` changed, in ms."""
        elapsed = page.evaluate(ROUND_TRIP_JS, [button, selector, attribute])
        self.ms.setdefault(label, []).append(elapsed)
        return elapsed

    def summary(self) -> str:
        return "; ".join(
            f"{label} median {statistics.median(ms):.0f} ms "
            f"(min {min(ms):.0f}, max {max(ms):.0f}, n={len(ms)})"
            for label, ms in self.ms.items()
        )


@pytest.fixture
def click_timings(request, capsys):
    """A :class:`ClickTimings` whose figures are printed (past pytest's capture) at the end."""
    timings = ClickTimings(title=request.node.name)
    yield timings
    if timings.ms:
        with capsys.disabled():
            print(f"\n{timings.title}: {timings.summary()}")
