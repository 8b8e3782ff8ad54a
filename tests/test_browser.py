"""Every notebook, rendered to HTML by nbconvert, works in headless Chromium, offline.

For each committed notebook (the index and every chapter, picked up from
notebooks/ as they land) and for a small synthetic notebook made and executed
here (a figure, a matplotlib ``to_jshtml`` animation, maths, slide metadata), the
pages are built exactly as ``make html`` / ``make slides`` build them
(``tools.export``: reveal.js, MathJax and require.js from ``build/vendor``), served
from 127.0.0.1 and opened in Chromium through Playwright. Each page must:

- load without script errors (uncaught exceptions, console errors, failed or 4xx/5xx loads);
- make no request to any host but 127.0.0.1 (all others are aborted and reported);
- show every figure: as many ``<img>`` as the notebook has image outputs (plus the
  players' frames and markdown images), each one decoded;
- typeset its maths with the local MathJax (no MathJax error);
- have a working ``to_jshtml`` player for each animation: "Next frame" moves the
  slider and the frame, with the Font Awesome icons loaded from the local copy;
- only link to pages that exist.

Each slide deck must load the same way, start Reveal, and advance on ArrowRight.
Screenshots go to test-artifacts/browser/.

Without Chromium (or npm) the tests skip, saying how to install it; under CI
(CI=true) that is a failure. The tests share one xdist group; the pages are
built once per run even when workers split the group (pytest 9 + xdist 3.8
ignore xdist_group: see the ``site`` fixture).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import sys
import threading
from pathlib import Path

import nbformat
import pytest

from conftest import REPO, exclusive

if str(REPO) not in sys.path:  # tools/ is not an installed package
    sys.path.insert(0, str(REPO))

from tools import export, lab_harness, repo, vendor  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}
SCREENSHOTS = REPO / "test-artifacts" / "browser"
REVEAL_JS = f"{export.VENDOR_URL}/reveal.js/dist/reveal.js"
SYNTHETIC = "99_synthetic_check"

PAGES = [p.stem for p in repo.all_notebooks()] + [SYNTHETIC]
DECKS = [p.stem for p in repo.content_notebooks()] + [SYNTHETIC]

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _unavailable(message: str):
    if IN_CI:
        pytest.fail(f"{message} (CI=true: the browser test must run in CI)", pytrace=False)
    pytest.skip(message)


# --------------------------------------------------------------------------- what a notebook should show

MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]+\)|<img\b", re.IGNORECASE)
HTML_IMAGE = re.compile(r"<img\b", re.IGNORECASE)
PLAYER = re.compile(r"<input\b[^>]*\banim-slider\b")  # one per matplotlib to_jshtml player
MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+\$|\\\(|\\\[|\\begin\{", re.DOTALL)


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


@functools.lru_cache(maxsize=1)
def _shown_type():
    """nbconvert's choice among an output's representations (the HTML exporter's priority)."""
    from nbconvert.exporters import HTMLExporter
    from nbconvert.filters import DataTypeFilter

    return DataTypeFilter(config=HTMLExporter().config)


def expected_content(nb, *, slides: bool = False) -> dict:
    """Images, jshtml players and whether there are maths, as nbconvert will render NB."""
    images = players = 0
    math = False
    for cell in nb.cells:
        if slides and cell.metadata.get("slideshow", {}).get("slide_type") in {"skip", "notes"}:
            continue
        if cell.cell_type == "markdown":
            images += len(MD_IMAGE.findall(cell.source))
            math = math or bool(MATH.search(cell.source))
        for out in cell.get("outputs", []):
            if out.get("output_type") not in {"display_data", "execute_result"}:
                continue
            shown = _shown_type()(out.get("data", {}))
            if not shown:
                continue
            kind = shown[0]
            if kind.startswith("image/"):
                images += 1
            elif kind == "text/html":
                html = _text(out.data[kind])
                images += len(HTML_IMAGE.findall(html))
                players += len(PLAYER.findall(html))
            elif kind == "text/markdown":
                images += len(MD_IMAGE.findall(_text(out.data[kind])))
            elif kind == "text/latex":
                math = True
    return {"images": images, "players": players, "math": math}


# --------------------------------------------------------------------------- fixtures

SYNTHETIC_CELLS = [
    ("markdown", "slide",
     "# 99 · Synthetic check page\n\nMade by tests/test_browser.py. The bound "
     r"$\log p(x) \ge \mathbb{E}_{q(z\mid x)}[\log p(x\mid z)] - D_{KL}(q \,\|\, p)$. "
     "Back to [the index](00_index.ipynb)."),
    ("code", "skip",
     "import matplotlib.pyplot as plt\nimport numpy as np\nfrom IPython.display import HTML\n"
     "from matplotlib import animation\nplt.rcParams['figure.dpi'] = 50\n"
     "def setup():\n    return None\nsetup()"),
    ("markdown", "slide", "## A figure"),
    ("code", "-",
     "fig, ax = plt.subplots(figsize=(3, 2))\nax.plot(np.sin(np.linspace(0, 6, 50)))\nplt.show()"),
    ("markdown", "slide", "## An animation\n\n$$\\mathcal{L}(\\theta) = \\sum_i \\log p_\\theta(x_i)$$"),
    ("code", "fragment",
     "fig, ax = plt.subplots(figsize=(2, 2))\nx = np.linspace(0, 6, 50)\nline, = ax.plot(x, np.sin(x))\n"
     "def step(i):\n    line.set_ydata(np.sin(x + i))\n    return (line,)\n"
     "anim = animation.FuncAnimation(fig, step, frames=4, interval=200)\nplt.close(fig)\n"
     "HTML(anim.to_jshtml())"),
]


def require_chromium(path: str) -> None:
    """Skip (fail under CI) with install instructions when PATH is not an executable Chromium."""
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        _unavailable(
            f"no Chromium at {path}: install it with `sudo apt-get install chromium` "
            "(Debian/Ubuntu), or set CHROMIUM=/path/to/chromium"
        )


@pytest.fixture(scope="session")
def browser(playwright_instance):
    """One headless Chromium for the session (Debian's, not a Playwright download)."""
    if playwright_instance is None:
        _unavailable("Playwright is not installed: pip install -r requirements.txt")
    from playwright.sync_api import Error as PlaywrightError

    require_chromium(CHROMIUM)
    try:
        chromium = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except PlaywrightError as err:
        _unavailable(f"Chromium at {CHROMIUM} did not start: {err}")
    yield chromium
    chromium.close()


def make_synthetic_notebook(folder: Path) -> Path:
    """A small executed notebook with a figure, a to_jshtml player, maths and slide metadata."""
    from nbclient import NotebookClient

    folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for kind, slide_type, source in SYNTHETIC_CELLS:
        cell = nbformat.v4.new_markdown_cell(source) if kind == "markdown" else nbformat.v4.new_code_cell(source)
        cell.metadata["slideshow"] = {"slide_type": slide_type}
        nb.cells.append(cell)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    path = folder / f"{SYNTHETIC}.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="session")
def site(browser, tmp_path_factory):
    """SITE/html and SITE/slides built by tools.export (SITE/vendor -> build/vendor), once per test run.

    Under xdist the workers share one site (built by whichever gets there first), in
    the run's common temporary folder: the build costs more than the checks.
    """
    try:
        vendor.ensure()
    except vendor.VendorError as err:
        _unavailable(f"cannot install the offline browser assets: {err}")
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    root = shared / "browser-site"
    built = root / "built.json"
    with exclusive(shared / "browser-site.lock"):
        if not built.is_file():
            shutil.rmtree(root, ignore_errors=True)  # what a failed build may have left
            notebooks = {p.stem: p for p in repo.all_notebooks()}
            notebooks[SYNTHETIC] = make_synthetic_notebook(root / "synthetic")
            export.build("html", [notebooks[name] for name in PAGES if name in notebooks], root)
            export.build("slides", [notebooks[name] for name in DECKS if name in notebooks], root)
            built.write_text(json.dumps({name: str(path) for name, path in notebooks.items()}))
        notebooks = {name: Path(path) for name, path in json.loads(built.read_text()).items()}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return {"root": root, "notebooks": notebooks}


@pytest.fixture(scope="session")
def synthetic_notebook(site) -> Path:
    return site["notebooks"][SYNTHETIC]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def server(site):
    """The site over HTTP on 127.0.0.1 (a random free port), as a reader's local server would."""
    handler = functools.partial(_QuietHandler, directory=str(site["root"]))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class Monitor(lab_harness.PageMonitor):
    """Script errors, failed loads and non-local requests of one page.

    The JupyterLab harness's monitor (uncaught exceptions, console errors,
    requests off 127.0.0.1 aborted and listed), plus failed and 4xx/5xx loads,
    which a static page must not have.
    """

    def __init__(self, context, page):
        super().__init__()
        self.attach(context, page)
        page.on("requestfailed", self._failed)
        page.on("response", lambda r: self.errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)

    def _failed(self, request):
        if request.url not in self.external:
            self.errors.append(f"failed to load {request.url[:100]}: {request.failure}")


def _open(browser, url: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    monitor = Monitor(context, page)
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    return context, page, monitor


# Page-side waits resolve to a value or, after 20 s, to "timeout": a test never hangs on them.
WAIT_FOR_MATHJAX = """() => new Promise(resolve => {
  setTimeout(() => resolve("timeout"), 20000);
  if (!window.MathJax || !MathJax.Hub) { resolve("no MathJax"); return; }
  // the hook returns nothing: a hook that returns a MathJax callback makes startup wait for it
  MathJax.Hub.Register.StartupHook("End", () => { MathJax.Hub.Queue(() => resolve("typeset")); });
})"""

REVEAL_STATE = """() => new Promise(resolve => {
  setTimeout(() => resolve({error: "timeout waiting for Reveal"}), 20000);
  if (!window.require) { resolve({error: "no require.js"}); return; }
  require([%s], R => {
    const state = () => resolve({ready: R.isReady(), indices: R.getIndices(), total: R.getTotalSlides()});
    R.isReady() ? state() : R.on("ready", state);
  }, err => resolve({error: String(err)}));
})""" % repr(REVEAL_JS)

PAGE_FACTS = """() => ({
  images: [...document.images].map(i => ({ok: i.complete && i.naturalWidth > 0, src: i.src.slice(0, 60)})),
  players: document.querySelectorAll('.animation input.anim-slider').length,
  math: document.querySelectorAll('.MathJax_CHTML, .MathJax, .MathJax_Display').length,
  mathErrors: document.querySelectorAll('.MathJax_Error, merror').length,
  links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))
    .filter(h => !h.startsWith('#') && !/^[a-z][a-z0-9+.-]*:/i.test(h)),
})"""

LINK_STATUS = """async hrefs => Promise.all(hrefs.map(async h => {
  try { const r = await fetch(h); await r.arrayBuffer(); return [h, r.status]; }
  catch (e) { return [h, String(e)]; }
}))"""

PLAYER_STEP = """async player => {
  const slider = player.querySelector('input.anim-slider');
  const img = player.querySelector('img');
  const before = {value: slider.value, src: img.src, max: slider.max};
  player.querySelector('button[title="Next frame"]').click();
  const after = {value: slider.value, src: img.src};
  player.querySelector('button[title="First frame"]').click();
  await document.fonts.ready;
  const icon = getComputedStyle(player.querySelector('i.fa'));
  return {before, after, reset: slider.value, iconFont: icon.fontFamily,
          iconLoaded: document.fonts.check('14px FontAwesome')};
}"""


def _shoot(page, name: str):
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("name", PAGES)
def test_notebook_page_works_offline(name, browser, site, server):
    if name not in site["notebooks"]:
        pytest.skip(f"{name} was removed during the session")
    nb = nbformat.read(site["notebooks"][name], as_version=4)
    want = expected_content(nb)
    context, page, monitor = _open(browser, f"{server}/html/{name}.html")
    try:
        mathjax_ran = page.evaluate(WAIT_FOR_MATHJAX)
        facts = page.evaluate(PAGE_FACTS)
        players = page.query_selector_all("div.animation")
        steps = [p.evaluate(PLAYER_STEP) for p in players if p.query_selector("input.anim-slider")]
        links = page.evaluate(LINK_STATUS, sorted(set(facts["links"])))
        _shoot(page, name)
    finally:
        context.close()

    assert not monitor.external, f"{name}: requests to non-local hosts (the page must work offline): {monitor.external}"
    assert not monitor.errors, f"{name}: {monitor.errors}"
    assert mathjax_ran == "typeset", f"{name}: the local MathJax did not typeset the page: {mathjax_ran}"
    assert len(facts["images"]) == want["images"], (
        f"{name}: {len(facts['images'])} <img> in the page, the notebook has {want['images']} images"
    )
    broken = [i["src"] for i in facts["images"] if not i["ok"]]
    assert not broken, f"{name}: images that did not decode: {broken}"
    if want["math"]:
        assert facts["math"] > 0, f"{name}: the notebook has maths but nothing was typeset"
    assert facts["mathErrors"] == 0, f"{name}: MathJax errors in the page"
    assert facts["players"] == want["players"] == len(steps), (
        f"{name}: {facts['players']} animation players in the page, {want['players']} in the notebook"
    )
    for i, step in enumerate(steps):
        assert int(step["before"]["max"]) >= 1, f"{name}: player {i} has a single frame"
        assert int(step["after"]["value"]) == int(step["before"]["value"]) + 1, f"{name}: player {i}: {step}"
        assert step["after"]["src"].startswith("data:image/"), f"{name}: player {i} shows no frame: {step}"
        assert step["reset"] == "0", f"{name}: player {i} 'First frame' did not go back: {step}"
        assert step["iconLoaded"], f"{name}: player {i}: Font Awesome icons not loaded from the local copy: {step}"
    dead = [(href, status) for href, status in links if status != 200]
    assert not dead, f"{name}: links to pages that do not exist: {dead}"


@pytest.mark.parametrize("name", DECKS)
def test_slide_deck_works_offline_and_advances(name, browser, site, server):
    if name not in site["notebooks"]:
        pytest.skip(f"{name} was removed during the session")
    context, page, monitor = _open(browser, f"{server}/slides/{name}.slides.html")
    try:
        mathjax_ran = page.evaluate(WAIT_FOR_MATHJAX)
        first = page.evaluate(REVEAL_STATE)
        assert "error" not in first, f"{name} deck: {first}; {monitor.errors}"
        _shoot(page, f"{name}.slides")
        page.locator("body").focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(300)
        second = page.evaluate(REVEAL_STATE)
        # past the first slide's fragments, ArrowRight reaches the next slide
        moved = second
        for _ in range(30):
            if "error" in moved or moved["indices"]["h"] != first["indices"]["h"] or moved["indices"]["v"] != first["indices"]["v"]:
                break
            page.keyboard.press("ArrowRight")
            page.wait_for_timeout(100)
            moved = page.evaluate(REVEAL_STATE)
        page.wait_for_timeout(1000)  # let the slide transition end before the screenshot
        _shoot(page, f"{name}.slides-next")
        images = page.evaluate("() => [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 60))")
    finally:
        context.close()

    assert not monitor.external, f"{name} deck: requests to non-local hosts: {monitor.external}"
    assert not monitor.errors, f"{name} deck: {monitor.errors}"
    assert mathjax_ran == "typeset", f"{name} deck: the local MathJax did not typeset the deck: {mathjax_ran}"
    assert first["ready"] and first["total"] >= 2, f"{name} deck: Reveal not ready or a single slide: {first}"
    assert "error" not in second and "error" not in moved, f"{name} deck: {second} {moved}"
    assert second["indices"] != first["indices"], f"{name} deck: ArrowRight did not advance: {first} -> {second}"
    assert moved["indices"]["h"] > first["indices"]["h"] or moved["indices"]["v"] > first["indices"]["v"], (
        f"{name} deck: never reached the next slide: {first} -> {moved}"
    )
    assert not images, f"{name} deck: images that did not decode: {images}"


def test_monitor_reports_external_requests_and_script_errors(browser, tmp_path):
    """The checks above would notice a CDN dependency or a broken script (nothing leaves the machine)."""
    (tmp_path / "bad.html").write_text(
        "<!DOCTYPE html><html><head><script src='https://cdn.example.org/lib.js'></script></head>"
        "<body><img src='https://cdn.example.org/figure.png'><script>undefinedFunction()</script></body></html>"
    )
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        context, page, monitor = _open(browser, f"http://127.0.0.1:{httpd.server_address[1]}/bad.html")
        context.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert sorted(monitor.external) == ["https://cdn.example.org/figure.png", "https://cdn.example.org/lib.js"]
    assert any("undefinedFunction" in e for e in monitor.errors), monitor.errors


def test_expected_content_counts_what_nbconvert_shows(synthetic_notebook):
    nb = nbformat.read(synthetic_notebook, as_version=4)
    assert expected_content(nb) == {"images": 2, "players": 1, "math": True}
    # an output with both HTML and PNG is shown as HTML: no <img> there
    nb.cells[3].outputs[0].data["text/html"] = "<b>table</b>"
    assert expected_content(nb)["images"] == 1


def test_missing_chromium_is_a_skip_locally_and_a_failure_in_ci(monkeypatch, tmp_path):
    """The skip says how to install Chromium; under CI=true it is a failure instead."""
    module = sys.modules[__name__]
    monkeypatch.setattr(module, "IN_CI", False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        require_chromium(str(tmp_path / "chromium"))
    monkeypatch.setattr(module, "IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        require_chromium(str(tmp_path / "chromium"))


def test_vendor_assets_are_pinned():
    """package.json pins exact versions, and the lockfile agrees, so every build gets the same files."""
    manifest = json.loads((REPO / "package.json").read_text())
    lock = json.loads((REPO / "package-lock.json").read_text())
    for name, version in manifest["dependencies"].items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name}: pin an exact version, not {version!r}"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version, f"package-lock.json is stale for {name}"
    assert shutil.which("npm") or not IN_CI, "npm is needed to install the browser assets"
