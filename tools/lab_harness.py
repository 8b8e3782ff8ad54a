"""Drive a real JupyterLab in headless Chromium: the explorer of notebook 05, end to end.

Used by tests/test_jupyterlab.py (does the live explorer work in JupyterLab?)
and by ``python -m benchmarks --only jupyterlab`` (how long from a key press on
the alpha slider until the new frame is drawn, and from a new digit, class
pair or model to its first frame?).

- :class:`LabServer` starts ``jupyter lab`` on 127.0.0.1 (a free port, a token)
  over a temporary root folder holding copies of the notebooks, so the
  committed files are never saved over. Its config, data, runtime, IPython,
  settings and workspace folders are temporary too, so no state leaks in or
  out, and the news feed and update check are off, so the server makes no
  request to the internet. The kernel inherits the server's environment:
  ``TUTORIAL_QUICK`` and ``MNIST_NPZ`` reach the notebook that way.
- :func:`open_notebook` opens a notebook in Chromium through Playwright and
  records page errors; :func:`run_all_cells` runs it with the menu, as a reader
  would, and waits until the kernel is idle.
- :class:`Explorer` finds the live explorer widget (``.lx-explorer.lx-live``),
  not by cell index, moves its alpha slider with the keyboard, changes its
  digit, class pair and model, and times each change in the page, from the
  reader's event to the frame drawn; :class:`PageMonitor` counts the messages
  the page sends to the kernel meanwhile.
- :meth:`LabServer.run_in_kernel` runs code in the notebook's kernel from a
  second client, to compare the page's frames with the kernel's.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = REPO / "notebooks"
EXPLORER_NOTEBOOK = "05_interpolation.ipynb"

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}

#: Console errors JupyterLab itself prints in a healthy session, each (a substring) with the reason it
#: is harmless; anything else logged as an error fails the test. None so far: JupyterLab 4.6 with
#: ipywidgets 8.1 logs warnings only (a shared-module version notice from jupyterlab-rise, deprecated
#: shortcut selectors), and warnings are not errors.
HARMLESS_CONSOLE_ERRORS: dict[str, str] = {}


class LabError(RuntimeError):
    """JupyterLab did not start, or the page did not reach the state we waited for."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def jupyter_executable() -> Path:
    """The ``jupyter`` next to this Python (the project's venv), else the one on PATH."""
    here = Path(sys.executable).parent / "jupyter"
    if here.is_file():
        return here
    found = shutil.which("jupyter")
    if not found:
        raise LabError("no `jupyter` executable: install requirements.txt into the venv")
    return Path(found)


# User settings written into the temporary settings folder: no news, no update check, no autosave.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}


# A server config (Python) that turns Nagle's algorithm off on the kernel websockets. jupyter_server
# leaves it on (Tornado's default), so a message written while the previous one is unacknowledged
# waits for the browser's delayed ACK: measured here, +35 to 40 ms on the slider moves that follow
# one another within the TCP RTO (200 ms); moves 300 ms apart do not wait.
#: The server settings ``make lab`` loads (kernel websockets without Nagle's algorithm).
NODELAY_CONFIG = (Path(__file__).resolve().parent / "jupyter_server_config.py").read_text()


class LabServer:
    """``jupyter lab`` on 127.0.0.1 over a temporary copy of NOTEBOOKS; a context manager.

    ``env`` adds variables to the server's (and so the kernel's) environment.
    ``tcp_nodelay`` turns Nagle's algorithm off on the kernel websockets
    (:data:`NODELAY_CONFIG`); off by default, so the server is the one a
    reader's ``jupyter lab`` runs.
    """

    def __init__(self, notebooks=(EXPLORER_NOTEBOOK,), env: dict[str, str] | None = None,
                 start_timeout: float = 120.0, tcp_nodelay: bool = False):
        self.notebooks = [NOTEBOOK_DIR / n if not Path(n).is_absolute() else Path(n) for n in notebooks]
        self.extra_env = dict(env or {})
        self.tcp_nodelay = tcp_nodelay
        self.start_timeout = start_timeout
        self.token = os.urandom(16).hex()
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self._tmp: tempfile.TemporaryDirectory | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def notebook_url(self, name: str) -> str:
        return f"{self.url}/lab/tree/{name}?token={self.token}&reset"

    def log(self) -> str:
        """The server's output so far (for error messages)."""
        path = Path(self.tmp, "server.log")
        return path.read_text(errors="replace") if path.is_file() else ""

    @property
    def root(self) -> Path:
        """The server's root folder: the copies of the notebooks."""
        return self.tmp / "root"

    @property
    def tmp(self) -> Path:
        assert self._tmp is not None, "the server is not started"
        return Path(self._tmp.name)

    def __enter__(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="lab-harness-")
        tmp = self.tmp
        root = self.root
        root.mkdir()
        for nb in self.notebooks:
            shutil.copy2(nb, root / nb.name)
        dirs = {name: tmp / name for name in ("config", "data", "runtime", "ipython", "settings", "workspaces")}
        for d in dirs.values():
            d.mkdir()
        if self.tcp_nodelay:
            (dirs["config"] / "jupyter_server_config.py").write_text(NODELAY_CONFIG)
        for rel, values in LAB_SETTINGS.items():
            path = dirs["settings"] / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        env = {**os.environ, **self.extra_env,
               "JUPYTER_CONFIG_DIR": str(dirs["config"]), "JUPYTER_DATA_DIR": str(dirs["data"]),
               "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]), "IPYTHONDIR": str(dirs["ipython"]),
               "JUPYTERLAB_SETTINGS_DIR": str(dirs["settings"]),
               "JUPYTERLAB_WORKSPACES_DIR": str(dirs["workspaces"])}
        self.port = _free_port()
        cmd = [str(jupyter_executable()), "lab", "--no-browser", f"--ServerApp.port={self.port}",
               "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={root}",
               "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               f"--LabApp.user_settings_dir={dirs['settings']}",
               f"--LabApp.workspaces_dir={dirs['workspaces']}",
               "--LabApp.extension_manager=readonly"]  # the PyPI manager would query pypi.org
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")  # containers and CI machines often run as root
        log = open(tmp / "server.log", "wb")
        self.proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        log.close()
        try:
            self._wait_until_up()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def api(self, path: str):
        """GET /api/PATH from the server, as JSON."""
        with urllib.request.urlopen(f"{self.url}/api/{path}?token={self.token}", timeout=10) as r:
            return json.load(r)

    def kernel_of(self, name: str) -> dict | None:
        """The kernel model (id, execution_state...) of notebook NAME's session, or None."""
        sessions = [s for s in self.api("sessions") if s.get("path", "").endswith(name)]
        return sessions[0]["kernel"] if sessions else None

    def run_in_kernel(self, name: str, code: str, timeout: float = 60) -> str:
        """Run CODE in notebook NAME's kernel from a second client (the page shows nothing of it); its stdout."""
        from jupyter_client import BlockingKernelClient

        kernel = self.kernel_of(name)
        if kernel is None:
            raise LabError(f"no kernel runs {name}")
        client = BlockingKernelClient(connection_file=str(self.tmp / "runtime" / f"kernel-{kernel['id']}.json"))
        client.load_connection_file()
        client.start_channels()
        out: list[str] = []
        try:
            reply = client.execute_interactive(code, timeout=timeout, output_hook=lambda msg: out.append(
                msg["content"].get("text", "") if msg["msg_type"] == "stream" else ""))
        finally:
            client.stop_channels()
        if reply["content"]["status"] != "ok":
            raise LabError(f"the kernel failed on {code!r}: {reply['content'].get('evalue')}")
        return "".join(out)

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise LabError(f"jupyter lab exited with {self.proc.returncode}:\n{self.log()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}", timeout=5) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.3)
        raise LabError(f"jupyter lab did not answer within {self.start_timeout:.0f} s:\n{self.log()[-3000:]}")

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            # the server's own shutdown stops its kernels too
            with contextlib.suppress(OSError, urllib.error.URLError):
                req = urllib.request.Request(f"{self.url}/api/shutdown?token={self.token}", method="POST")
                urllib.request.urlopen(req, timeout=10).close()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGTERM)  # the session this server leads
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(timeout=10)
        self.proc = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


# --------------------------------------------------------------------------- the browser side

def launch_chromium(playwright):
    """Debian's headless Chromium (not a Playwright download), with the project's flags."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@dataclass
class PageMonitor:
    """Uncaught exceptions, console errors, non-local requests and messages sent to the kernel, of one page."""

    errors: list[str] = field(default_factory=list)
    harmless: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    #: (seconds on this machine's clock, msg_type) of every message the page sent on a kernel websocket
    sent: list[tuple[float, str]] = field(default_factory=list)

    def attach(self, context, page):
        context.route("**/*", self._route)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        page.on("console", self._console)
        page.on("websocket", self._websocket)
        return self

    def _websocket(self, ws):
        if "/api/kernels/" in ws.url:
            ws.on("framesent", self._frame_sent)

    def _frame_sent(self, payload):
        data = payload.encode() if isinstance(payload, str) else payload
        found = re.search(rb'"msg_type":\s*"(\w+)"', data)  # the header's comes first (v1 binary framing too)
        self.sent.append((time.monotonic(), found.group(1).decode() if found else "?"))

    def sent_since(self, start: float, msg_type: str | None = "comm_msg") -> int:
        """How many messages (of MSG_TYPE; None: any) the page sent to the kernel since START (time.monotonic())."""
        return sum(1 for t, kind in self.sent if t >= start and (msg_type is None or kind == msg_type))

    def _route(self, route):
        url = urlsplit(route.request.url)
        if url.scheme in {"http", "https", "ws", "wss"} and url.hostname not in LOCAL_HOSTS:
            self.external.append(route.request.url)
            route.abort("blockedbyclient")
        else:
            route.continue_()

    def _console(self, msg):
        if msg.type != "error":
            return
        text = msg.text
        if "ERR_BLOCKED_BY_CLIENT" in text:
            return  # reported in self.external
        if any(pattern in text for pattern in HARMLESS_CONSOLE_ERRORS):
            self.harmless.append(text)
        else:
            self.errors.append(f"console.error: {text[:500]} ({msg.location.get('url', '')[:100]})")


def open_notebook(browser, server: LabServer, name: str = EXPLORER_NOTEBOOK, timeout_ms: float = 60_000):
    """A new page with NAME open in JupyterLab and its kernel idle: (context, page, monitor)."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    monitor = PageMonitor().attach(context, page)
    page.goto(server.notebook_url(name), wait_until="load")
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell")
    # the server must have started the notebook's kernel: the page's indicator says "idle" before that.
    # Wait with page.wait_for_timeout, not time.sleep: the monitor's request routing runs in this
    # thread, so a sleeping thread would hold up the page's own requests (the one starting the kernel).
    deadline = time.monotonic() + timeout_ms / 1000
    kernel = server.kernel_of(name)
    while not (kernel and kernel.get("execution_state") == "idle"):
        if time.monotonic() > deadline:
            raise LabError(f"no idle kernel for {name} within {timeout_ms / 1000:.0f} s (kernel: {kernel}):\n"
                           f"{server.log()[-2000:]}")
        page.wait_for_timeout(300)
        kernel = server.kernel_of(name)
    wait_for_kernel_idle(page, timeout_ms)
    return context, page, monitor


KERNEL_STATE = """() => {
  const ind = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator')
           || document.querySelector('.jp-Notebook-ExecutionIndicator');
  const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(p => p.textContent.trim());
  return {status: ind ? ind.dataset.status : null,
          running: prompts.filter(p => p.includes('*')).length,
          unrun: prompts.filter(p => p === '[ ]:' || p === '').length,
          cells: prompts.length};
}"""


def kernel_state(page) -> dict:
    return page.evaluate(KERNEL_STATE)


def wait_for_kernel_idle(page, timeout_ms: float, settle_s: float = 1.0) -> dict:
    """Wait until the kernel is idle and no cell is queued or running, for SETTLE_S in a row."""
    deadline = time.monotonic() + timeout_ms / 1000
    calm_since = None
    state = {}
    while time.monotonic() < deadline:
        state = kernel_state(page)
        if state["status"] == "idle" and state["running"] == 0:
            calm_since = calm_since or time.monotonic()
            if time.monotonic() - calm_since >= settle_s:
                return state
        else:
            calm_since = None
        page.wait_for_timeout(200)
    raise LabError(f"the kernel was not idle within {timeout_ms / 1000:.0f} s: {state}")


def run_all_cells(page, timeout_ms: float = 900_000, attempts: int = 3) -> dict:
    """Run > Run All Cells from the menu bar, as a reader would; then wait for the kernel to finish.

    The menu is tried again (up to ATTEMPTS times) when no cell starts: a click
    that lands while JupyterLab is still wiring the kernel can be lost.
    """
    before = kernel_state(page)
    for _ in range(attempts):
        page.locator(".lm-MenuBar-item", has_text="Run").first.click()
        page.locator(".lm-Menu-item:visible", has_text="Run All Cells").first.click()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            state = kernel_state(page)
            if state["running"] or state["unrun"] < before["unrun"] or state["status"] == "busy":
                return wait_for_kernel_idle(page, timeout_ms, settle_s=2.0)
            page.wait_for_timeout(100)
        page.keyboard.press("Escape")  # close the menu if it is still open
    raise LabError(f"Run > Run All Cells started no cell after {attempts} tries: {kernel_state(page)}")


CELL_ERRORS = """() => [...document.querySelectorAll(
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"], .jp-RenderedText[data-mime-type="application/vnd.jupyter.error"]')]
  .map(e => e.textContent.slice(0, 2000))"""


def cell_errors(page) -> list[str]:
    """The text of every error output (a traceback) in the open notebook."""
    return page.evaluate(CELL_ERRORS)


# --------------------------------------------------------------------------- the explorer in the page

# Arm a one-change timer on the explorer ROOT: the first of EVENTS (window, capture phase: before the
# explorer sees it) starts it; the explorer drawing a frame (its data-lx-shown counter changes) stops
# it, and the next animation frame after that, when the browser can paint, is noted too.
ARM_TIMER = """([root, events]) => {
  const t = {start: null, shown: null, painted: null, before: root.getAttribute('data-lx-shown')};
  window.__labTimer = t;
  const onStart = () => { if (t.start === null) t.start = performance.now(); };
  for (const type of events) window.addEventListener(type, onStart, {capture: true, once: true});
  const observer = new MutationObserver(() => {
    if (t.shown === null && root.getAttribute('data-lx-shown') !== t.before) {
      t.shown = performance.now();
      observer.disconnect();
      requestAnimationFrame(() => { t.painted = performance.now(); });
    }
  });
  observer.observe(root, {attributes: true, attributeFilter: ['data-lx-shown']});
}"""

# Resolves once the frame is drawn and a paint opportunity has passed, or after TIMEOUT ms with what was seen.
WAIT_TIMER = """timeout => new Promise(resolve => {
  const t = window.__labTimer, begin = performance.now();
  const poll = () => {
    if ((t.shown !== null && t.painted !== null) || performance.now() - begin > timeout) {
      const since = end => (t.start !== null && end !== null ? end - t.start : null);
      resolve({image_ms: since(t.shown), paint_ms: since(t.painted)});
    } else { requestAnimationFrame(poll); }
  };
  poll();
})"""


class Explorer:
    """The live explorer (helpers.widgets.InterpolationExplorer) as rendered in the page.

    Found as the one ``.lx-explorer.lx-live`` element of the notebook's
    outputs (the page-only block of helpers.browser_explorer has no
    ``lx-live``), so a cell added or moved does not change which widget this is.
    """

    def __init__(self, page, monitor: PageMonitor, timeout_ms: float = 60_000):
        self.page, self.monitor = page, monitor
        root = page.locator(".jp-OutputArea-output .lx-explorer.lx-live")
        try:
            root.first.wait_for(state="attached", timeout=timeout_ms)
        except Exception as err:  # Playwright's TimeoutError: say what the notebook showed instead
            raise LabError(f"no explorer widget in the page after {timeout_ms / 1000:.0f} s; "
                           f"kernel {kernel_state(page)}; cell errors: {cell_errors(page) or 'none'}") from err
        if root.count() != 1:
            raise LabError(f"expected one live explorer widget (.lx-explorer.lx-live), found {root.count()}")
        self.root = root.first
        self.root.locator("canvas.lx-image").wait_for(state="visible", timeout=timeout_ms)
        self.root.scroll_into_view_if_needed()
        self._root = self.root.element_handle()
        self._slider = self.root.locator("input.lx-slider").element_handle()

    # what the page shows
    def state(self) -> dict:
        """The explorer's own account: settings, alpha, the image shown (784 values) and the bars (10)."""
        return self._root.evaluate("r => window.latentExplorers.byId[r.dataset.lxId].state()")

    def alpha(self) -> float:
        return float(self._slider.evaluate("s => s.value"))

    def alpha_range(self) -> tuple[float, float]:
        return tuple(float(v) for v in self._slider.evaluate("s => [s.min, s.max]"))

    def options(self, control: str) -> list[str]:
        return self.root.locator(f"select.lx-{control}").evaluate("s => [...s.options].map(o => o.value)")

    def models(self) -> list[str]:
        return self.options("model")

    def model(self) -> str:
        return self.state()["model"]

    def canvas_grey(self) -> list[int]:
        """The decoded image's 784 grey levels as drawn on its canvas (255 white)."""
        return self.root.locator("canvas.lx-image").evaluate(
            "c => Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data).filter((_, i) => i % 4 === 0)")

    # what a reader does, each timed from its event to the frame drawn
    def _timed(self, events, act, timeout_ms: float) -> dict:
        self.page.evaluate(ARM_TIMER, [self._root, events])
        start = time.monotonic()
        act()
        timing = self.page.evaluate(WAIT_TIMER, timeout_ms)
        self.page.wait_for_timeout(50)  # a message the change sends afterwards would still be counted
        return {**timing, "comm_msgs": self.monitor.sent_since(start),
                "kernel_msgs": self.monitor.sent_since(start, None)}

    def press(self, key: str = "ArrowRight", timeout_ms: float = 10_000) -> dict:
        """Press KEY on the focused alpha slider."""
        self._slider.focus()
        return self._timed(["keydown"], lambda: self.page.keyboard.press(key), timeout_ms)

    def choose(self, control: str, value, timeout_ms: float = 10_000) -> dict:
        """Choose VALUE in the explorer's menu CONTROL (model, axis, a, b, digit)."""
        menu = self.root.locator(f"select.lx-{control}")
        return self._timed(["change"], lambda: menu.select_option(value=str(value)), timeout_ms)

    def click_thumbnail(self, index: int, timeout_ms: float = 10_000) -> dict:
        thumb = self.root.locator(".lx-thumbs canvas").nth(index)
        return self._timed(["click"], thumb.click, timeout_ms)

    def reset_alpha(self, key: str = "Home") -> None:
        self._slider.focus()
        self.page.keyboard.press(key)


def _stats(values) -> dict:
    import numpy as np

    v = np.asarray([x for x in values if x is not None], dtype=float)
    return {"median_ms": float(np.median(v)), "p95_ms": float(np.percentile(v, 95)), "n": len(v)} if len(v) else {}


def slider_latency(explorer: Explorer, moves: int = 40, pause_ms: float = 150, warmup: int = 3) -> dict:
    """Key press to new frame, per ArrowRight on the alpha slider: median and p95 over MOVES.

    Starts from the slider's minimum ("Home") and walks right; at the maximum it
    walks back with ArrowLeft. Counts the messages the page sent to the kernel
    meanwhile (the goal is none).
    """
    explorer.reset_alpha("Home")
    explorer.page.wait_for_timeout(500)
    low, high = explorer.alpha_range()
    image_ms, paint_ms, comm, sent, missed = [], [], 0, 0, 0
    key = "ArrowRight"
    for i in range(moves + warmup):
        alpha = explorer.alpha()
        if key == "ArrowRight" and alpha >= high - 1e-6:
            key = "ArrowLeft"  # at an end of the range: turn round
        elif key == "ArrowLeft" and alpha <= low + 1e-6:
            key = "ArrowRight"
        t = explorer.press(key)
        if i >= warmup:
            missed += t["image_ms"] is None
            image_ms.append(t["image_ms"])
            paint_ms.append(t["paint_ms"])
            comm += t["comm_msgs"]
            sent += t["kernel_msgs"]
        explorer.page.wait_for_timeout(pause_ms)
    if missed == moves:
        raise LabError("no slider move produced a new frame")
    return {"image": _stats(image_ms), "paint": _stats(paint_ms), "missed": missed, "moves": moves,
            "comm_msgs": comm, "kernel_msgs": sent, "image_ms": image_ms}


def setting_latency(explorer: Explorer, repeats: int = 8, pause_ms: float = 300) -> dict:
    """A change of digit (a thumbnail), class pair (the "to a" menu) and model, each timed to its first frame.

    Per kind: median and p95 over REPEATS changes, and the comm messages sent
    per change (the goal is one). Models are visited in turn, so each figure
    mixes them; per model, ``by_model`` holds the digit changes' times.
    """
    out = {"digit": [], "pair": [], "model": [], "comm_msgs": [], "by_model": {}}
    models, thumbs = explorer.models(), explorer.root.locator(".lx-thumbs canvas").count()
    for r in range(repeats):
        for m in models:
            if explorer.model() != m:
                t = explorer.choose("model", m)
                out["model"].append(t["image_ms"])
                out["comm_msgs"].append(t["comm_msgs"])
                explorer.page.wait_for_timeout(pause_ms)
            s = explorer.state()
            t = explorer.click_thumbnail((s["digit"] + 7 + r) % thumbs)
            out["digit"].append(t["image_ms"])
            out["by_model"].setdefault(m, []).append(t["image_ms"])
            out["comm_msgs"].append(t["comm_msgs"])
            explorer.page.wait_for_timeout(pause_ms)
            s = explorer.state()
            target = next(c for c in ((s["a"] + 1 + k) % 10 for k in range(10)) if c != s["b"])
            t = explorer.choose("a", target)
            out["pair"].append(t["image_ms"])
            out["comm_msgs"].append(t["comm_msgs"])
            explorer.page.wait_for_timeout(pause_ms)
    return {"digit": _stats(out["digit"]), "pair": _stats(out["pair"]), "model": _stats(out["model"]),
            "all": _stats(out["digit"] + out["pair"] + out["model"]), "comm_msgs": out["comm_msgs"],
            "by_model": {m: _stats(v) for m, v in out["by_model"].items()}}


def measure_notebook_explorer(quick: bool, moves: int = 60, model: str | None = "VAE-20d",
                              env: dict[str, str] | None = None, run_timeout_s: float = 1800,
                              pauses_ms=(150,), tcp_nodelay: bool = False, setting_repeats: int = 0) -> dict:
    """Run notebook 05 in JupyterLab (quick or full mode) and time its explorer.

    The explorer is switched to MODEL first when its menu offers it. For each
    pause in PAUSES_MS, MOVES alpha moves that far apart (a reader pressing the
    key again and again) are timed with :func:`slider_latency`; with
    SETTING_REPEATS, changes of digit, class pair and model with
    :func:`setting_latency`. Returns ``{"runs": {pause: figures}, "settings",
    "model", "run_all_seconds", "page_errors"}``. Raises ImportError without
    Playwright and LabError when JupyterLab, Chromium or the notebook fails.
    """
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    server_env = {"TUTORIAL_QUICK": "1" if quick else "0", **(env or {})}
    with LabServer(env=server_env, tcp_nodelay=tcp_nodelay) as server, sync_playwright() as pw:
        try:
            browser = launch_chromium(pw)
        except PlaywrightError as err:
            raise LabError(f"Chromium at {CHROMIUM} did not start: {err}") from err
        try:
            context, page, monitor = open_notebook(browser, server)
            start = time.monotonic()
            run_all_cells(page, timeout_ms=run_timeout_s * 1000)
            run_seconds = time.monotonic() - start
            errors = cell_errors(page)
            if errors:
                raise LabError(f"notebook 05 failed in JupyterLab: {errors}")
            explorer = Explorer(page, monitor)
            settings = setting_latency(explorer, repeats=setting_repeats) if setting_repeats else {}
            if model and model in explorer.models() and explorer.model() != model:
                explorer.choose("model", model)
                page.wait_for_timeout(500)
            runs = {pause: slider_latency(explorer, moves=moves, pause_ms=pause) for pause in pauses_ms}
            figures = {"runs": runs, "settings": settings, "model": explorer.model(), "run_all_seconds": run_seconds,
                       "page_errors": list(monitor.errors), "tcp_nodelay": tcp_nodelay}
            context.close()
            return figures
        except PlaywrightError as err:
            raise LabError(f"the page failed: {err}") from err
        finally:
            browser.close()
