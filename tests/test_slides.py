"""Every slide of every deck fits its canvas, measured in headless Chromium (issue 13).

The decks are built exactly as ``make slides`` builds them (``tools.export.build``,
which runs the slide convention of ``tools.slide_layout``), from the committed
notebooks (every chapter in notebooks/, picked up as it lands) and from a
synthetic chapter made here that holds what a new notebook may bring: long
prose, a printout of 40 lines, a table of 25 rows, several figures in one cell,
a figure too tall and one too wide for the slide, and a self-contained HTML/JS
block 460 px tall (the shape of notebook 05's in-browser explorer), and one
640 px tall, which the deck zooms out to the room its slide leaves.

``tools.slide_fit`` opens each deck at 1280 x 720, walks every slide through
reveal.js's API (vertical slides and every fragment step) and measures the
slide's content in slide coordinates against the deck's configured width and
height. The test fails on any slide that overflows or would need scrolling,
naming deck, slide and size; it reports slides and words per slide for every
deck (printed, and written to test-artifacts/slides/fit.txt). A deck built
without the convention must be caught overflowing, so that the measurement can
fail at all.

Without Chromium (or npm) the tests skip, saying how to install it; under CI
(CI=true) that is a failure, as in tests/test_browser.py, whose xdist group
these tests share. The decks are measured once per run, even when xdist
workers split the group (see the ``measured`` fixture).
"""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import os
import statistics
import sys

import nbformat
import numpy as np
import pytest

from conftest import REPO, exclusive

if str(REPO) not in sys.path:  # tools/ is not an installed package
    sys.path.insert(0, str(REPO))

from tools import export, repo, slide_fit, vendor  # noqa: E402

IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}
REPORT = REPO / "test-artifacts" / "slides" / "fit.txt"
SYNTHETIC = "99_synthetic_slides"
UNFITTED = "98_unfitted_slides"
DECKS = [p.stem for p in repo.content_notebooks()] + [SYNTHETIC]
EXPLORER_HEIGHT = 460
TALL_EXPLORER = 640  # taller than the room under a heading: the deck zooms it out

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _unavailable(message: str):
    if IN_CI:
        pytest.fail(f"{message} (CI=true: the slide test must run in CI)", pytrace=False)
    pytest.skip(message)


# --------------------------------------------------------------------------- a chapter made here

PROSE = " ".join(
    f"Sentence {i} of the explanation says something a listener would rather hear than read, "
    "with a formula $q(z \\mid x)$ and a number, 95.3 nats." for i in range(12)
)


def _png(height: int, width: int, bands: int, axis: int = 0) -> str:
    """A white figure with BANDS grey panels along AXIS, white gaps between them."""
    from PIL import Image

    pixels = np.full((height, width, 3), 255, dtype=np.uint8)
    step = (height, width)[axis] // bands
    for k in range(bands):
        lo, hi = k * step + 10, (k + 1) * step - 10
        if axis == 0:
            pixels[lo:hi, 20:-20] = 80 + 15 * (k % 4)
        else:
            pixels[20:-20, lo:hi] = 80 + 15 * (k % 4)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def _figure(height, width, bands=4, axis=0):
    return nbformat.v4.new_output("display_data", data={"image/png": _png(height, width, bands, axis),
                                                        "text/plain": "<Figure>"})


EXPLORER_HTML = """<div class="toy-explorer" style="width: 880px; height: {height}px; border: 1px solid #999;
 display: flex; gap: 24px; align-items: center; justify-content: center; font-family: sans-serif">
<canvas width="280" height="280" style="width: 336px; height: 336px; image-rendering: pixelated"></canvas>
<div><label>alpha <input type="range" min="-1" max="2" step="0.05" value="0"></label>
<p class="readout">alpha = 0.00</p></div>
<script>
(function () {{
  const root = document.currentScript.parentElement;
  const canvas = root.querySelector("canvas"), slider = root.querySelector("input");
  const draw = () => {{
    const ctx = canvas.getContext("2d"), a = parseFloat(slider.value);
    for (let i = 0; i < 28; i++) for (let j = 0; j < 28; j++) {{
      const v = Math.round(255 * (0.5 + 0.5 * Math.sin(i / 4 + a * j / 3)));
      ctx.fillStyle = `rgb(${{v}},${{v}},${{v}})`; ctx.fillRect(j * 10, i * 10, 10, 10);
    }}
    root.querySelector(".readout").textContent = "alpha = " + a.toFixed(2);
  }};
  slider.addEventListener("input", draw); draw();
}})();
</script></div>"""


def synthetic_cells():
    """(kind, slide_type, source, outputs, tags) of a chapter with everything that overflowed before."""
    table = "| step | loss | accuracy |\n|---|---|---|\n" + "".join(
        f"| {i} | {100 / (i + 1):.3f} | {1 - 1 / (i + 2):.3f} |\n" for i in range(25))
    log = "".join(f"epoch {i:3d}/40 - 12s - loss: {100 / (i + 1):.4f} - reconstruction: {90 / (i + 1):.4f}\n"
                  for i in range(40))
    return [
        ("markdown", "slide", f"# 99 · Synthetic slide check\n\n{PROSE}", [], []),
        ("code", "skip", "from helpers import config\nsettings = config.setup()", [], []),
        ("markdown", "slide", f"## Long prose and maths\n\n{PROSE}\n\n$$\\log p(x) \\ge \\mathbb{{E}}_q[\\log p(x\\mid z)]"
                              " - \\mathrm{KL}(q \\,\\|\\, p)$$\n\n" + PROSE, [], []),
        ("markdown", "fragment", "- " + PROSE.replace(". ", ".\n- ", 6), [], []),
        ("markdown", "slide", "## A training log and a table", [], []),
        ("code", "-", "model.fit(...)", [nbformat.v4.new_output("stream", name="stdout", text=log)], []),
        ("code", "fragment", "display(Markdown(table))",
         [nbformat.v4.new_output("display_data", data={"text/markdown": table, "text/plain": "table"})], []),
        ("markdown", "slide", "## Several figures in one cell\n\nThree figures, one caption.", [], []),
        ("code", "-", "for k in range(3): plot(k)", [_figure(420, 900), _figure(380, 1100), _figure(300, 600)], []),
        ("markdown", "subslide", "### A tall figure\n\n" + PROSE, [], []),
        ("code", "-", "show_canvas(grid)", [_figure(1900, 420, 19)], []),
        ("markdown", "subslide", "### A wide figure", [], []),
        ("code", "-", "model_grids(...)", [_figure(260, 2300, 4, axis=1)], []),
        ("markdown", "slide", "## The code is the point\n\nThree lines, shown.", [], []),
        ("code", "-", "def train_step(self, data):\n    loss = self.reconstruction(data) + self.kl(data)  "
                      "# one bound per image, averaged over the batch, long enough to wrap\n    return loss",
         [], ["slide-code"]),
        ("markdown", "slide", "## Explore it in the page\n\nDrag alpha: the picture is computed in the page.", [], []),
        ("code", "-", "explorer.html()",
         [nbformat.v4.new_output("display_data", data={"text/html": EXPLORER_HTML.format(height=EXPLORER_HEIGHT),
                                                        "text/plain": "<Explorer>"})], []),
        ("markdown", "subslide", "### A taller one\n\nIt is zoomed out to the room its slide leaves.", [], []),
        ("code", "-", "explorer.html(big=True)",
         [nbformat.v4.new_output("display_data", data={"text/html": EXPLORER_HTML.format(height=TALL_EXPLORER),
                                                        "text/plain": "<Explorer>"})], []),
        ("markdown", "slide", "## By hand\n\nMy own slide text.\n\n<!-- notes -->\n\n" + PROSE, [], []),
        ("markdown", "slide", "## What we learned\n\n" + "\n".join(
            f"- **Finding {i} in bold.** {PROSE[:300]}" for i in range(5)), [], []),
    ]


def make_notebook(folder, name, cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for i, (kind, slide_type, source, outputs, tags) in enumerate(cells):
        cell = nbformat.v4.new_markdown_cell(source) if kind == "markdown" else nbformat.v4.new_code_cell(source)
        cell.metadata["slideshow"] = {"slide_type": slide_type}
        if tags:
            cell.metadata["tags"] = tags
        if kind == "code":
            cell.outputs = outputs
            cell.execution_count = i
        cell.id = str(i)
        nb.cells.append(cell)
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def unfitted_cells():
    """Slides the convention cannot save (text tagged to stay whole, HTML wider than the slide)."""
    return [
        ("markdown", "slide", f"# 98 · Unfitted\n\n{PROSE}\n\n{PROSE}\n\n{PROSE}", [], ["slide-text"]),
        ("markdown", "slide", "## Too wide", [], []),
        ("code", "-", "wide()", [nbformat.v4.new_output(
            "display_data", data={"text/html": '<div style="width: 1500px; height: 40px; background: #ccc"></div>',
                                  "text/plain": "wide"})], []),
        ("markdown", "slide", "## Words\n\nOne two three $a + b$ four.\n\n<!-- notes -->\n\nNot counted: these are notes.", [], []),
        ("code", "fragment", "print('hidden source')", [nbformat.v4.new_output("stream", name="stdout", text="alpha beta\n")], []),
    ]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """SITE/slides: every chapter's deck and the two synthetic ones, built as `make slides` builds them."""
    try:
        vendor.ensure()
    except vendor.VendorError as err:
        _unavailable(f"cannot install the offline browser assets: {err}")
    site = tmp_path_factory.mktemp("slide-site")
    notebooks = {p.stem: p for p in repo.content_notebooks()}
    notebooks[SYNTHETIC] = make_notebook(site, SYNTHETIC, synthetic_cells())
    notebooks[UNFITTED] = make_notebook(site, UNFITTED, unfitted_cells())
    export.build("slides", [notebooks[n] for n in [*DECKS, UNFITTED]], site)
    return site


@pytest.fixture(scope="session")
def browser(playwright_instance):
    """One headless Chromium (Debian's, not a Playwright download) for the session."""
    if playwright_instance is None:
        _unavailable("Playwright is not installed: pip install -r requirements.txt")
    try:
        with slide_fit.chromium(playwright=playwright_instance) as chromium:
            yield chromium
    except slide_fit.MeasureError as err:  # no Chromium there
        _unavailable(str(err))
    except Exception as err:  # Playwright's own error: Chromium did not start
        if type(err).__module__.startswith("playwright"):
            _unavailable(f"Chromium at {slide_fit.CHROMIUM} did not start: {err}")
        raise


@pytest.fixture(scope="session")
def server(site):
    with slide_fit.serve(site) as base:
        yield base


@pytest.fixture(scope="session")
def measured(tmp_path_factory, request):
    """{deck name: DeckFit} for every chapter and the two synthetic decks.

    Measured once per test run: under xdist the workers share the result (in the
    run's common temporary folder), whichever gets there first measuring.
    """
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    cache = shared / "slide-fit.json"
    with exclusive(shared / "slide-fit.lock"):
        if not cache.is_file():
            server = request.getfixturevalue("server")
            decks = slide_fit.measure_site(request.getfixturevalue("browser"), server, [*DECKS, UNFITTED])
            cache.write_text(json.dumps([dataclasses.asdict(d) for d in decks]))
        stored = json.loads(cache.read_text())
    decks = {}
    for d in stored:
        canvas = tuple(d["canvas"])
        slides = [slide_fit.SlideFit(**{**s, "canvas": canvas}) for s in d["slides"]]
        decks[d["name"]] = slide_fit.DeckFit(name=d["name"], canvas=canvas, slides=slides)
    return decks


WAIT_FOR_MATHJAX = """() => new Promise(resolve => {
  setTimeout(() => resolve("timeout"), 20000);
  if (!window.MathJax || !MathJax.Hub) { resolve("no MathJax"); return; }
  MathJax.Hub.Register.StartupHook("End", () => { MathJax.Hub.Queue(() => resolve("typeset")); });
})"""


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("name", DECKS)
def test_every_slide_fits_the_canvas(name, measured):
    deck = measured[name]
    assert deck.slides, f"{name}: no slides measured"
    assert deck.canvas == export.CANVAS, f"{name}: the deck's canvas is {deck.canvas}, make slides sets {export.CANVAS}"
    problems = [s.describe() for s in deck.overflowing]
    assert not problems, (f"{len(problems)} of {len(deck.slides)} slides overflow the {deck.canvas[0]} x "
                          f"{deck.canvas[1]} canvas:\n  " + "\n  ".join(problems))


def test_words_per_slide_are_reported(measured, request):
    """A summary per deck (slides, overflowing, median and longest slide in words), printed and saved."""
    lines = [measured[name].summary() for name in DECKS]
    chapters = [s for name in DECKS if name != SYNTHETIC for s in measured[name].slides]
    words = [s.words for s in chapters] or [0]
    lines.append(f"chapters: {len(chapters)} slides, {sum(s.overflows for s in chapters)} overflowing; words per "
                 f"slide median {statistics.median(words):.0f}, max {max(words)}")
    lines += [f"  {s.deck} slide {s.number}: {s.words} words, {s.height:.0f} px, figures at {s.figure_scale:.2f}"
              for name in DECKS for s in measured[name].slides]
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n")
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    if reporter is not None:
        reporter.write_line("")
        for line in lines[:len(DECKS) + 1]:
            reporter.write_line(line)
    print("\n".join(lines))
    assert all(s.words >= 0 for s in chapters)


def test_the_synthetic_chapter_keeps_its_explorer_whole_on_one_slide(measured):
    deck = measured[SYNTHETIC]
    explorer = [s for s in deck.slides if s.title == "Explore it in the page"]
    assert len(explorer) == 1, [s.title for s in deck.slides]
    assert EXPLORER_HEIGHT < explorer[0].height <= deck.canvas[1], explorer[0].describe()
    assert explorer[0].figure_scale == 1, "a block that fits is drawn at its own size"
    taller = [s for s in deck.slides if s.title == "A taller one"]
    assert len(taller) == 1 and 0.6 <= taller[0].figure_scale < 1, taller
    # the tall figure became bands on vertical slides; the three figures of one cell were spread out
    assert len(deck.slides) >= 12, [s.describe() for s in deck.slides]
    assert all(s.figure_scale >= 0.5 for s in deck.slides), [(s.number, s.figure_scale) for s in deck.slides]


def test_the_measurement_catches_overflow_and_counts_only_visible_words(measured):
    deck = measured[UNFITTED]
    by_title = {s.title: s for s in deck.slides}
    tall = deck.slides[0]
    assert tall.overflows and tall.height > deck.canvas[1] + 100, tall.describe()
    wide = by_title["Too wide"]
    assert wide.overflows and wide.width >= 1500, wide.describe()
    # heading 1 + "One two three" + a formula + "four" = 6; then "alpha beta" (hidden source, notes left out)
    assert by_title["Words"].words == 6 + 2, by_title["Words"]
    assert by_title["Words"].fragments == 1


def test_speaker_notes_show_the_prose_offline(browser, server):
    """Press s: the speaker view holds what the slide left out, its formulas as MathML, from 127.0.0.1 only."""
    context = browser.new_context(viewport=slide_fit.VIEWPORT)
    external = []

    def route(r):
        host = r.request.url.split("/")[2] if "://" in r.request.url else ""
        if r.request.url.startswith(("http://", "https://")) and not host.startswith("127.0.0.1"):
            external.append(r.request.url)
            r.abort()
        else:
            r.continue_()

    context.route("**/*", route)
    try:
        page = context.new_page()
        page.goto(f"{server}/slides/{SYNTHETIC}.slides.html", wait_until="load")
        page.evaluate(WAIT_FOR_MATHJAX)
        page.locator("body").focus()
        with context.expect_page(timeout=20_000) as opened:
            page.keyboard.press("s")
        speaker = opened.value
        speaker.wait_for_selector(".speaker-controls-notes", timeout=20_000)
        speaker.wait_for_function(
            "() => document.querySelector('.speaker-controls-notes').innerText.includes('Sentence 5')", timeout=20_000)
        notes = speaker.evaluate("""() => { const n = document.querySelector('.speaker-controls-notes');
            return {text: n.innerText, math: n.querySelectorAll('math').length,
                    typeset: n.querySelectorAll('.mjx-chtml, .MathJax_Preview').length}; }""")
        on_slide = page.evaluate("() => document.querySelector('.reveal .slides section.present').innerText")
    finally:
        context.close()
    assert "Sentence 5 of the explanation" in notes["text"] and "Sentence 5" not in on_slide, notes["text"][:300]
    assert notes["math"] > 0 and notes["typeset"] == 0, notes
    assert not external, f"the speaker view requested non-local hosts: {external}"
