"""Infrastructure for the browser tests: a JupyterLab server, notebooks, and page helpers.

Nothing here knows about limewidgets: it starts a Jupyter server in a private directory, writes
notebooks, opens them in JupyterLab 4 or Notebook 7 in headless Chromium, runs them, talks to
their kernel and measures DOM round trips.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM_PATH = Path(os.environ.get("LIMEWIDGETS_CHROMIUM", "/usr/bin/chromium"))

# Flags verified on these machines: no sandbox (root in a container), no GPU, and nothing that
# phones home (the tests must work with no network).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Python modules the suite needs, with the command that provides them.
REQUIRED_MODULES = {
    "playwright": "pip install playwright",
    "jupyterlab": "pip install jupyterlab",
    "notebook": "pip install notebook",
    "ipykernel": "pip install ipykernel",
    "anywidget": "pip install anywidget",
}

# JupyterLab settings written into the private settings directory: no news / update toasts that
# would cover the widgets in screenshots or try to reach the network.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
        "doNotDisturbMode": True,
    },
}

_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def missing_requirement() -> str | None:
    """Why the browser suite cannot run here, or ``None`` when everything is installed."""
    if not CHROMIUM_PATH.exists():
        return (
            f"headless Chromium not found at {CHROMIUM_PATH} "
            "(apt-get install chromium, or set LIMEWIDGETS_CHROMIUM)"
        )
    for module, hint in REQUIRED_MODULES.items():
        if importlib.util.find_spec(module) is None:
            return f"Python module {module!r} is not installed ({hint})"
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class JupyterServer:
    """A running ``jupyter lab`` server serving ``root`` on 127.0.0.1 with no authentication.

    The same server also serves Notebook 7 under ``/notebooks/``.
    """

    root: Path
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"http://127.0.0.1:{self.port}"

    def page_url(self, app: str, notebook: str) -> str:
        """URL that opens ``notebook`` in ``app`` ('lab' for JupyterLab, 'notebook' for 7)."""
        if app == "lab":
            # ?reset drops the saved workspace so tabs are not restored twice.
            return f"{self.url}/lab/tree/{notebook}?reset"
        if app == "notebook":
            return f"{self.url}/notebooks/{notebook}"
        raise ValueError(f"app must be 'lab' or 'notebook', got {app!r}")

    def log_tail(self, n_chars: int = 4000) -> str:
        """The end of the server's log (stdout and stderr), for failure messages."""
        try:
            return self.log_path.read_text(errors="replace")[-n_chars:]
        except OSError:
            return "<no server log>"

    def stop(self) -> None:
        """Terminate the server (and with it the kernels it started)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_jupyter_server(workdir: Path, timeout: float = 90.0) -> JupyterServer:
    """Start JupyterLab in a private directory and wait until its HTTP API answers.

    Parameters
    ----------
    workdir : Path
        Empty directory; notebooks are served from ``workdir / "notebooks"`` and the server's
        settings, workspaces and log live beside it, so the user's own settings are untouched.
    timeout : float
        Seconds to wait for the server to answer.
    """
    root = workdir / "notebooks"
    settings = workdir / "lab-settings"
    for directory in (root, settings, workdir / "lab-workspaces", workdir / "jupyter-config"):
        directory.mkdir(parents=True, exist_ok=True)
    for relative_path, values in LAB_SETTINGS.items():
        path = settings / relative_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))

    env = dict(os.environ)
    env.update(
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(workdir / "lab-workspaces"),
        JUPYTER_CONFIG_DIR=str(workdir / "jupyter-config"),
        MPLBACKEND="Agg",
        # Two shared cores: keep BLAS from oversubscribing them inside the kernel.
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        PYTHONUNBUFFERED="1",
    )
    port = free_port()
    log_path = workdir / "jupyter-server.log"
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.token=",
        "--ServerApp.password=",
        "--ServerApp.disable_check_xsrf=True",
        "--allow-root",
        "--LabApp.expose_app_in_browser=True",
        "--JupyterNotebookApp.expose_app_in_browser=True",
        f"--ServerApp.root_dir={root}",
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = JupyterServer(root=root, port=port, process=process, log_path=log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"jupyter lab exited with code {process.returncode}:\n{server.log_tail()}"
            )
        try:
            with urllib.request.urlopen(f"{server.url}/api/status", timeout=2) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    server.stop()
    raise RuntimeError(f"jupyter lab did not answer within {timeout} s:\n{server.log_tail()}")


def write_notebook(path: Path, cells: list[str]) -> Path:
    """Write a Python 3 notebook made of the given code cells (no outputs)."""
    notebook = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
        "cells": [
            {
                "cell_type": "code",
                "id": f"cell-{index}",
                "metadata": {},
                "execution_count": None,
                "outputs": [],
                "source": source,
            }
            for index, source in enumerate(cells)
        ],
    }
    path.write_text(json.dumps(notebook, indent=1))
    return path


# JavaScript snippets run in the page. `window.jupyterapp` is exposed by both JupyterLab and
# Notebook 7 because the server is started with expose_app_in_browser.
_JS_KERNEL_IDLE = """() => {
  const app = window.jupyterapp;
  const panel = app && app.shell && app.shell.currentWidget;
  const session = panel && panel.sessionContext && panel.sessionContext.session;
  return Boolean(session && session.kernel && session.kernel.status === 'idle');
}"""

_JS_CELL_ERRORS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const errors = [];
  for (const cell of panel.content.widgets) {
    if (cell.model.type !== 'code') continue;
    for (const output of cell.model.outputs.toJSON()) {
      if (output.output_type === 'error') {
        errors.push(output.ename + ': ' + output.evalue + '\\n' + output.traceback.join('\\n'));
      }
    }
  }
  return errors;
}"""

_JS_KERNEL_EXEC = """async (code) => {
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel.sessionContext.session.kernel;
  const future = kernel.requestExecute({code, silent: false, store_history: false});
  const chunks = [];
  future.onIOPub = (msg) => {
    const type = msg.header.msg_type;
    if (type === 'stream') chunks.push(msg.content.text);
    else if (type === 'error') {
      chunks.push('\\n__KERNEL_ERROR__ ' + msg.content.ename + ': ' + msg.content.evalue);
    }
  };
  await future.done;
  return chunks.join('');
}"""


class NotebookPage:
    """A notebook opened and run in JupyterLab or Notebook 7.

    Parameters
    ----------
    page : playwright.sync_api.Page
        Page to use (one notebook per page).
    server : JupyterServer
        Server that serves the notebook.
    app : {'lab', 'notebook'}
        JupyterLab 4 or Notebook 7.
    notebook : str
        Notebook file name inside the server's root.
    """

    def __init__(self, page: Any, server: JupyterServer, app: str, notebook: str) -> None:
        self.page = page
        self.server = server
        self.app = app
        self.notebook = notebook
        # Browser-side errors (widget render failures show up only here).
        self.console_errors: list[str] = []
        page.on(
            "console",
            lambda message: (
                self.console_errors.append(message.text) if message.type == "error" else None
            ),
        )
        page.on(
            "pageerror",
            lambda error: self.console_errors.append(
                f"page error: {error.message}\n{error.stack or ''}"
            ),
        )

    def open(self, timeout: float = 90.0) -> None:
        """Load the page and wait until the notebook's kernel has started and is idle."""
        self.page.goto(self.server.page_url(self.app, self.notebook))
        self.page.wait_for_function(_JS_KERNEL_IDLE, timeout=timeout * 1000, polling=200)

    def run_all(self, ready_file: Path, timeout: float = 120.0) -> None:
        """Run every cell and wait until the notebook wrote ``ready_file`` (its last cell).

        Raises ``AssertionError`` with the traceback when a cell fails.
        """
        self.page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready_file.exists():
                return
            errors = self.page.evaluate(_JS_CELL_ERRORS)
            if errors:
                raise AssertionError(
                    f"{self.notebook} failed in {self.app}:\n"
                    + _ANSI_ESCAPE.sub("", "\n\n".join(errors))
                )
            time.sleep(0.25)
        raise AssertionError(
            f"{self.notebook} did not finish within {timeout} s in {self.app}; "
            f"server log:\n{self.server.log_tail()}"
        )

    def kernel_exec(self, code: str) -> str:
        """Run ``code`` in the notebook's kernel (outside any cell) and return its stdout."""
        output = self.page.evaluate(_JS_KERNEL_EXEC, code)
        if "__KERNEL_ERROR__" in output:
            raise AssertionError(f"kernel code failed: {output}\ncode:\n{code}")
        return output

    def kernel_json(self, expression: str) -> Any:
        """Evaluate a Python expression in the kernel and return it decoded from JSON."""
        marker = "__LW_JSON__"
        output = self.kernel_exec(f"import json as _j\nprint({marker!r} + _j.dumps({expression}))")
        line = [part for part in output.splitlines() if part.startswith(marker)][-1]
        return json.loads(line[len(marker) :])

    def set_theme(self, theme: str, timeout: float = 20.0) -> None:
        """Switch the application theme ('JupyterLab Light' or 'JupyterLab Dark') and wait."""
        light = "true" if "Light" in theme else "false"
        self.page.evaluate(
            "(theme) => window.jupyterapp.commands.execute('apputils:change-theme', {theme})",
            theme,
        )
        self.page.wait_for_function(
            "(light) => document.body.dataset.jpThemeLight === light",
            arg=light,
            timeout=timeout * 1000,
        )


# Arms a probe on a widget's root element: remembers the data-state-id the real output shows,
# timestamps the first user event (capture phase, before the widget's own handlers) and the first
# DOM mutation after it that shows the real output for a different state id.
_JS_ARM_ROUND_TRIP = """([root, events, expected]) => {
  const read = () => {
    const node = root.querySelector('[data-testid=lw-real-output]');
    return node ? {id: node.getAttribute('data-state-id'), text: node.textContent} : null;
  };
  const first = read();
  const probe = {before: first && first.id, beforeText: first && first.text,
                 start: null, end: null, after: null, text: null};
  window.__lwProbe = probe;
  const onStart = () => { if (probe.start === null) probe.start = performance.now(); };
  for (const type of events) root.addEventListener(type, onStart, {capture: true, once: true});
  const check = () => {
    const now = read();
    if (probe.start === null || now === null || probe.end !== null) return;
    const ready = expected === null ? now.id !== probe.before : now.id === String(expected);
    if (ready && /\\d/.test(now.text) && !/pending/i.test(now.text)) {
      probe.end = performance.now();
      probe.after = now.id;
      probe.text = now.text;
      observer.disconnect();
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(root, {subtree: true, childList: true, attributes: true, characterData: true});
}"""


# (description, round-trip ms, model ms) of every measured action; conftest prints them at the end.
ROUND_TRIPS: list[tuple[str, float, float]] = []


def record_round_trip(description: str, milliseconds: float, model_ms: float) -> None:
    """Remember a measured user action -> real-output round trip for the end-of-run summary."""
    ROUND_TRIPS.append((description, milliseconds, model_ms))


@dataclass
class RoundTrip:
    """What one user action did to the widget's real-output element."""

    before_state_id: str | None
    after_state_id: str
    before_text: str
    after_text: str
    milliseconds: float


def measure_round_trip(
    page: Any,
    root: Any,
    action: Any,
    events: tuple[str, ...] = ("pointerdown", "mousedown", "click"),
    expected_state_id: int | None = None,
    timeout: float = 30.0,
) -> RoundTrip:
    """Perform ``action()`` on a widget and wait for its real output to show a new state.

    Parameters
    ----------
    page : playwright.sync_api.Page
    root : playwright.sync_api.ElementHandle
        The widget's root element.
    action : callable
        Performs the user action (click, fill, select).
    events : tuple of str
        DOM events whose first occurrence starts the clock.
    expected_state_id : int, optional
        The ``data-state-id`` to wait for (default: any change).
    timeout : float
        Seconds to wait.

    Returns
    -------
    RoundTrip
        Milliseconds from the user event to the DOM mutation that shows the new real output.
    """
    page.evaluate(_JS_ARM_ROUND_TRIP, [root, list(events), expected_state_id])
    action()
    try:
        page.wait_for_function(
            "() => window.__lwProbe.end !== null", timeout=timeout * 1000, polling="raf"
        )
    except Exception as error:  # playwright's TimeoutError: add what the page shows
        probe = page.evaluate("() => window.__lwProbe")
        current = root.evaluate(
            "(r) => { const n = r.querySelector('[data-testid=lw-real-output]');"
            " return n && [n.getAttribute('data-state-id'), n.textContent]; }"
        )
        raise AssertionError(
            f"the real output did not update after the action: probe={probe}, now={current}"
        ) from error
    probe = page.evaluate("() => window.__lwProbe")
    return RoundTrip(
        before_state_id=probe["before"],
        after_state_id=probe["after"],
        before_text=probe["beforeText"] or "",
        after_text=probe["text"],
        milliseconds=probe["end"] - probe["start"],
    )


def numbers_in(text: str) -> list[float]:
    """Every decimal number written in ``text``."""
    return [float(match) for match in re.findall(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?", text)]


def shown_value(root: Any, testid: str) -> float:
    """The first number a widget shows in its ``[data-testid=...]`` element."""
    text = root.query_selector(f"[data-testid={testid}]").text_content()
    values = numbers_in(text)
    assert values, f"{testid} shows no number: {text!r}"
    return values[0]


def wait_until_painted(page: Any, canvas: Any, timeout: float = 20.0) -> None:
    """Wait until a canvas shows something (images decode asynchronously)."""
    page.wait_for_function(
        "(c) => c.width > 0 && c.getContext('2d').getImageData(0, 0, c.width, c.height)"
        ".data.some((v, i) => i % 4 !== 3 && v > 0)",
        arg=canvas,
        timeout=timeout * 1000,
    )


def click_pixel(page: Any, canvas: Any, row: int, col: int, height: int, width: int) -> None:
    """Click the canvas where it displays image pixel (``row``, ``col``) of a ``height`` x
    ``width`` image, whatever its CSS size.

    Waits until the canvas has stopped moving (notebooks lay out off-screen cells lazily, and the
    image decodes asynchronously) and checks that the canvas is the element under the pointer.
    """
    previous = None
    for _ in range(100):
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        if box is not None and box == previous and box["width"] > 0:
            x = box["x"] + (col + 0.5) / width * box["width"]
            y = box["y"] + (row + 0.5) / height * box["height"]
            if canvas.evaluate("(c, [x, y]) => document.elementFromPoint(x, y) === c", [x, y]):
                page.mouse.click(x, y)
                return
        previous = box
        page.wait_for_timeout(50)
    raise AssertionError(f"the canvas did not settle under the pointer (last box {previous})")


def read_calls(log_path: Path) -> list[dict]:
    """The model calls a ``CallRecorder`` appended to ``log_path`` (one JSON object a line)."""
    if not log_path.exists():
        return []
    return [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]


def wait_for_calls(log_path: Path, count: int, timeout: float = 30.0) -> list[dict]:
    """Wait until ``log_path`` holds at least ``count`` calls and return them all."""
    deadline = time.monotonic() + timeout
    while True:
        calls = read_calls(log_path)
        if len(calls) >= count or time.monotonic() > deadline:
            return calls
        time.sleep(0.05)
