"""Notebook 05's live explorer, end to end in a real JupyterLab (tools.lab_harness).

A JupyterLab server is started on 127.0.0.1 (a free port, a token) over a
temporary copy of notebooks/05_interpolation.ipynb, with temporary config,
data, runtime, IPython, settings and workspace folders, news and update
checks off. Headless Chromium opens the notebook through Playwright and runs
it with Run > Run All Cells in quick mode (TUTORIAL_QUICK=1 and MNIST_NPZ
reach the kernel through the server's environment). Then, on the kernel
explorer (found by its "alpha" slider and "model" menu, not by cell index):

- every ArrowRight on the focused alpha slider brings a new image, and a few
  of them change both the digit and the judged bars drawn in it;
- choosing another model in the menu changes the image;
- no cell shows an error, the page throws nothing and logs no console error
  (bar any listed in ``lab_harness.HARMLESS_CONSOLE_ERRORS``), and it makes
  no request off this machine (bar any listed in ``KNOWN_EXTERNAL``).

Nothing here is timed: the latency per slider move is measured by
``python -m benchmarks --only jupyterlab`` with the same harness. Without
Chromium, Playwright or JupyterLab the tests skip, saying what to install;
under CI (CI=true) that is a failure. Screenshots go to test-artifacts/browser/.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import sys
from unittest import mock

import numpy as np
import pytest

from conftest import REPO, real_mnist_path

if str(REPO) not in sys.path:  # tools/ is not an installed package
    sys.path.insert(0, str(REPO))

from tools import lab_harness  # noqa: E402

IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}
SCREENSHOTS = REPO / "test-artifacts" / "browser"

#: Requests off this machine that the page may make, each (a URL) with the reason it is harmless.
#: They are blocked (the test runs offline). None since notebook 05 dropped its to_jshtml players,
#: whose HTML linked Font Awesome from a CDN.
KNOWN_EXTERNAL: dict[str, str] = {}

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _unavailable(message: str):
    if IN_CI:
        pytest.fail(f"{message} (CI=true: the JupyterLab test must run in CI)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser(playwright_instance):
    if playwright_instance is None:
        _unavailable("Playwright is not installed: pip install -r requirements.txt")
    from playwright.sync_api import Error as PlaywrightError

    chromium = lab_harness.CHROMIUM
    if not (os.path.isfile(chromium) and os.access(chromium, os.X_OK)):
        _unavailable(f"no Chromium at {chromium}: install it with `sudo apt-get install chromium` "
                     "(Debian/Ubuntu), or set CHROMIUM=/path/to/chromium")
    try:
        launched = lab_harness.launch_chromium(playwright_instance)
    except PlaywrightError as err:
        _unavailable(f"Chromium at {chromium} did not start: {err}")
    yield launched
    launched.close()


@pytest.fixture(scope="module")
def lab():
    try:
        import jupyterlab  # noqa: F401
        lab_harness.jupyter_executable()
    except (ImportError, lab_harness.LabError) as err:
        _unavailable(f"JupyterLab is not installed ({err}): pip install -r requirements.txt")
    mnist = real_mnist_path()
    if mnist is None and not IN_CI:
        pytest.skip("no offline MNIST: set MNIST_NPZ=/path/to/mnist.npz")
    env = {"TUTORIAL_QUICK": "1", **({"MNIST_NPZ": str(mnist)} if mnist else {})}
    with lab_harness.LabServer(env=env) as server:
        yield server


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def notebook(browser, lab):
    """Notebook 05 open in JupyterLab, every cell run; yields (page, monitor, explorer)."""
    copy = lab.root / lab_harness.EXPLORER_NOTEBOOK
    before = _digest(copy)
    context, page, monitor = lab_harness.open_notebook(browser, lab)
    try:
        state = lab_harness.run_all_cells(page)
        errors = lab_harness.cell_errors(page)
        assert not errors, f"cells failed in JupyterLab: {errors}"
        assert state["unrun"] == 0, f"Run All Cells left cells unrun: {state}"
        explorer = lab_harness.Explorer(page)
        yield page, monitor, explorer
    finally:
        context.close()
    assert _digest(copy) == before, "JupyterLab saved the notebook: the harness must never write it"


def frame_of(explorer) -> tuple[np.ndarray, np.ndarray]:
    """The explorer's current PNG, read from the page: (digit pixels, bar heights in pixels)."""
    from PIL import Image

    from helpers.widgets import FrameLayout

    data_url = explorer.image_pixels()
    rgb = np.asarray(Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1]))).convert("RGB")).astype(int)
    layout = FrameLayout()
    assert rgb.shape[1::-1] == layout.size, f"the explorer image is {rgb.shape[1::-1]}, not a frame {layout.size}"
    x0, y0, x1, y1 = layout.digit_box
    bars = [int((np.abs(rgb[layout.chart_top:layout.chart_bottom, x + layout.bar_width // 2] - 255).sum(axis=1)
                 > 150).sum()) for x in layout.bar_x]
    return rgb[y0:y1, x0:x1], np.asarray(bars)


def test_notebook_runs_in_jupyterlab_and_shows_the_explorer(notebook, lab):
    page, monitor, explorer = notebook
    assert lab.root != REPO / "notebooks" and REPO not in lab.root.parents, "the server must serve a copy"
    assert explorer.models(), "the explorer's model menu is empty"
    digit, bars = frame_of(explorer)
    assert digit.min() < 128, "the explorer shows no digit (no dark pixels)"
    assert bars.sum() > 0, "the explorer shows no probability bars"


def test_arrow_keys_move_the_slider_and_redraw_digit_and_bars(notebook):
    page, monitor, explorer = notebook
    explorer.reset_alpha("Home")
    page.wait_for_timeout(500)
    low, _ = explorer.alpha_range()
    assert explorer.alpha() == pytest.approx(low)
    start_digit, start_bars = frame_of(explorer)
    sources = {explorer.image_src()}
    for _ in range(12):
        t = explorer.press("ArrowRight")
        assert t["image_ms"] is not None, f"ArrowRight brought no new image: {t}"
        sources.add(explorer.image_src())
        page.wait_for_timeout(100)
    assert explorer.alpha() == pytest.approx(low + 12 * 0.05, abs=1e-6)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    explorer.root.screenshot(path=str(SCREENSHOTS / "jupyterlab_explorer.png"))
    assert len(sources) == 13, "each key press should show a new image"
    digit, bars = frame_of(explorer)
    assert np.abs(digit - start_digit).max() > 50, "the digit did not change along alpha"
    assert (bars != start_bars).any(), "the judged bars did not change along alpha"
    assert not monitor.errors, monitor.errors


def test_choosing_another_model_redraws(notebook):
    page, monitor, explorer = notebook
    models = explorer.models()
    if len(models) < 2:
        pytest.skip(f"notebook 05's explorer offers one model only: {models}")
    current = explorer.model()
    before, _ = frame_of(explorer)
    other = next(m for m in models if m != current)
    t = explorer.select_model(other)
    assert t["image_ms"] is not None, f"choosing {other!r} brought no new image: {t}"
    assert explorer.model() == other
    after, _ = frame_of(explorer)
    assert np.abs(after - before).max() > 50, f"{current!r} and {other!r} show the same digit"
    explorer.select_model(current)
    assert not monitor.errors, monitor.errors


def test_page_has_no_errors_and_stays_offline(notebook):
    page, monitor, explorer = notebook
    assert not monitor.errors, f"page errors in JupyterLab: {monitor.errors}"
    unexpected = sorted(set(monitor.external) - set(KNOWN_EXTERNAL))
    assert not unexpected, f"requests off this machine (the page must work offline): {unexpected}"


def test_monitor_catches_page_errors_and_unknown_console_errors(browser, tmp_path):
    """The checks above would notice an uncaught exception or an unexpected console error."""
    context = browser.new_context()
    page = context.new_page()
    monitor = lab_harness.PageMonitor().attach(context, page)
    try:
        page.set_content("<script>console.error('something broke'); undefinedFunction();</script>")
        page.wait_for_timeout(200)
    finally:
        context.close()
    assert any("undefinedFunction" in e for e in monitor.errors), monitor.errors
    assert any("something broke" in e for e in monitor.errors), monitor.errors


def test_nodelay_config_installs_a_kernel_connection_without_nagle():
    """The server config the benchmark's TCP_NODELAY row uses is valid jupyter_server configuration."""
    from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
    from traitlets.config import Config

    c = Config()
    exec(compile(lab_harness.NODELAY_CONFIG, "jupyter_server_config.py", "exec"), {"c": c})
    cls = c.ServerApp.kernel_websocket_connection_class
    assert issubclass(cls, ZMQChannelsWebsocketConnection)

    class Handler:
        nodelay = None

        def set_nodelay(self, value):
            self.nodelay = value

    handler = Handler()
    with mock.patch.object(ZMQChannelsWebsocketConnection, "connect", return_value="connected"), \
            mock.patch.object(cls, "websocket_handler", handler):
        assert cls.__new__(cls).connect() == "connected"  # the parent's connect still runs
    assert handler.nodelay is True
