"""Do the reveal.js decks fit their canvas? Measured in Chromium, slide by slide (issue 13).

    python -m tools.slide_fit              # build every deck as `make slides` does, measure, print a summary
    python -m tools.slide_fit 05 --slides  # one deck, with a line per slide

A deck is opened at 1280 x 720 (a projector's size), and every slide is visited
through reveal.js's own API (``Reveal.slide(h, v, f)``): every horizontal slide,
every vertical one under it and every fragment step. At each step the slide's
content is measured in *slide coordinates*, the deck's configured ``width`` x
``height`` (960 x 700 unless a deck says otherwise) before reveal.js scales the
canvas to the window: the union of the bounding boxes of everything rendered on
the slide (speaker notes excluded), divided by the canvas scale. A slide
overflows when that box leaves the canvas, or when anything on it would need a
scroll bar (an element with ``overflow: auto / scroll`` whose content is larger
than its box). The slide's size is the larger of the box and the section's
``scrollHeight`` / ``scrollWidth``.

Visible words are counted once every fragment is shown: text nodes that are
rendered (``checkVisibility``), outside speaker notes, scripts and styles. A
typeset formula counts as one word, whatever MathJax builds inside it; code
counts only when it is shown.

Used by tests/test_slides.py (every slide must fit) and by the ``slides``
section of ``python -m benchmarks``. Needs Playwright and a Chromium
(``CHROMIUM``, default /usr/bin/chromium).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import statistics
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from tools import export, repo

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
#: The window a deck is measured in: a 720p projector. Slide coordinates do not depend on it.
VIEWPORT = {"width": 1280, "height": 720}
#: Overlap (in slide pixels) forgiven for anti-aliasing and sub-pixel layout.
TOLERANCE = 2
REVEAL_JS = f"{export.VENDOR_URL}/reveal.js/dist/reveal.js"


class MeasureError(RuntimeError):
    """A deck could not be opened or walked (no Reveal, a script error, a timeout)."""


@dataclass
class SlideFit:
    """One slide (a vertical section) of a deck, measured in slide coordinates."""

    deck: str
    number: int  # 1-based, as reveal.js's c/t slide number shows it
    h: int
    v: int
    title: str
    width: float
    height: float
    words: int
    fragments: int
    figure_scale: float = 1.0  # the share of their size the deck's fit script left this slide's figures
    scrollers: list = field(default_factory=list)  # elements that would need a scroll bar
    canvas: tuple = (960, 700)

    @property
    def overflows(self) -> bool:
        w, h = self.canvas
        return self.height > h + TOLERANCE or self.width > w + TOLERANCE or bool(self.scrollers)

    def describe(self) -> str:
        what = f"{self.width:.0f} x {self.height:.0f} px"
        if self.scrollers:
            what += f", needs scrolling in {', '.join(self.scrollers[:3])}"
        return f"{self.deck} slide {self.number} (h={self.h}, v={self.v}) {self.title[:50]!r}: {what}"


@dataclass
class DeckFit:
    name: str
    canvas: tuple
    slides: list

    @property
    def overflowing(self) -> list:
        return [s for s in self.slides if s.overflows]

    @property
    def words(self) -> list:
        return [s.words for s in self.slides]

    def summary(self) -> str:
        words = self.words or [0]
        tallest = max(self.slides, key=lambda s: s.height, default=None)
        tall = f"; tallest {tallest.height:.0f} px (slide {tallest.number})" if tallest else ""
        return (f"{self.name}: {len(self.slides)} slides, {len(self.overflowing)} overflowing the "
                f"{self.canvas[0]} x {self.canvas[1]} canvas{tall}; words per slide median "
                f"{statistics.median(words):.0f}, max {max(words)}")


# --------------------------------------------------------------------------- in the page

# Resolves to {canvas, slides: [...]} or {error}. Everything is awaited with a deadline.
WALK_DECK = r"""async (reveal_js) => {
  const deadline = (ms, what) => new Promise((_, no) => setTimeout(() => no(new Error("timeout: " + what)), ms));
  const frame = () => new Promise(ok => requestAnimationFrame(() => requestAnimationFrame(ok)));
  const mathjaxIdle = () => (window.MathJax && MathJax.Hub && MathJax.Hub.Queue)
      ? Promise.race([new Promise(ok => MathJax.Hub.Queue(ok)), deadline(20000, "MathJax")]) : Promise.resolve();
  // MathJax's first typesetting starts after its configuration loads: wait for its end first
  const mathjaxStarted = () => (window.MathJax && MathJax.Hub && MathJax.Hub.Register)
      ? Promise.race([new Promise(ok => MathJax.Hub.Register.StartupHook("End", () => { ok(); })),
                      deadline(30000, "MathJax start-up")]) : Promise.resolve();
  const R = await Promise.race([new Promise((ok, no) => {
    if (!window.require) { no(new Error("no require.js")); return; }
    require([reveal_js], R => R.isReady() ? ok(R) : R.on("ready", () => ok(R)), no);
  }), deadline(30000, "Reveal")]);
  await mathjaxStarted();
  await mathjaxIdle();
  R.configure({transition: "none", backgroundTransition: "none"});
  // a fragment fades in over 0.2 s and counts as hidden until then: no transitions while measuring
  const still = document.createElement("style");
  still.textContent = ".reveal .fragment, .reveal .slides section { transition: none !important; }";
  document.head.appendChild(still);
  const cfg = R.getConfig();
  const W = cfg.width, H = cfg.height;
  // a typeset formula (MathJax 2 CommonHTML / HTML-CSS / SVG, MathJax 3), and what MathJax keeps beside it
  const MATH = ".mjx-chtml, .MathJax_CHTML, .MathJax, .MathJax_SVG, mjx-container";
  const SKIP = "aside.notes, script, style, template, .MathJax_Preview, .MJX_Assistive_MathML";
  const scroll = v => v === "auto" || v === "scroll";

  function extent(section) {
    const base = section.closest(".slides");
    const b = base.getBoundingClientRect();
    const scale = b.width / base.offsetWidth || 1;
    let top = Infinity, bottom = -Infinity, left = Infinity, right = -Infinity;
    const scrollers = [];
    for (const el of [section, ...section.querySelectorAll("*")]) {
      if (el !== section && el.closest(SKIP)) continue;
      if (el.parentElement && el.parentElement.closest(MATH) && el.parentElement.closest(MATH) !== el) continue;
      if (!el.getClientRects().length) continue;
      const cs = getComputedStyle(el);
      if (el !== section) {
        const r = el.getBoundingClientRect();
        if (r.width > 0 || r.height > 0) {
          top = Math.min(top, r.top); bottom = Math.max(bottom, r.bottom);
          left = Math.min(left, r.left); right = Math.max(right, r.right);
        }
      }
      const y = scroll(cs.overflowY) && el.scrollHeight > el.clientHeight + 1;
      const x = scroll(cs.overflowX) && el.scrollWidth > el.clientWidth + 1;
      if (x || y) scrollers.push(el.tagName.toLowerCase() + (el.className && typeof el.className === "string"
          ? "." + el.className.trim().split(/\s+/)[0] : "") + (y ? " (vertical)" : " (horizontal)"));
    }
    const pad = parseFloat(getComputedStyle(section).paddingTop) + parseFloat(getComputedStyle(section).paddingBottom);
    let width = 0, height = 0;
    if (bottom > top) {
      // the box's far edges, from the canvas origin (content above or left of it overflows too)
      height = (Math.max(bottom, b.top + H * scale) - Math.min(top, b.top)) / scale;
      width = (Math.max(right, b.left + W * scale) - Math.min(left, b.left)) / scale;
      if (bottom <= b.top + H * scale + 0.5 && top >= b.top - 0.5) height = (bottom - top) / scale;
      if (right <= b.left + W * scale + 0.5 && left >= b.left - 0.5) width = (right - left) / scale;
    }
    height = Math.max(height, section.scrollHeight - pad);
    width = Math.max(width, section.scrollWidth);
    return {width, height, scrollers};
  }

  function words(section) {
    // a formula is one word (an element matching MATH inside another is the same formula)
    let n = [...section.querySelectorAll(MATH)].filter(m => !m.closest(SKIP)
        && !(m.parentElement && m.parentElement.closest(MATH))
        && (!m.checkVisibility || m.checkVisibility({checkVisibilityCSS: true}))).length;
    const walker = document.createTreeWalker(section, NodeFilter.SHOW_TEXT);
    for (let t = walker.nextNode(); t; t = walker.nextNode()) {
      const el = t.parentElement;
      if (!el || el.closest(SKIP) || el.closest(MATH)) continue;
      if (el.checkVisibility && !el.checkVisibility({checkVisibilityCSS: true})) continue;
      n += t.data.split(/\s+/).filter(w => /[\p{L}\p{N}]/u.test(w)).length;
    }
    return n;
  }

  const slides = [];
  let number = 0;
  const stacks = [...document.querySelectorAll(".reveal .slides > section")];
  for (let h = 0; h < stacks.length; h++) {
    const verticals = [...stacks[h].children].filter(c => c.tagName === "SECTION");
    const count = verticals.length || 1;
    for (let v = 0; v < count; v++) {
      number += 1;
      R.slide(h, v, -1);
      await frame();
      await mathjaxIdle();
      if (window.deckFit && window.deckFit.settled) await Promise.race([window.deckFit.settled(), deadline(20000, "deckFit")]);
      const section = R.getCurrentSlide();
      const fragments = section.querySelectorAll(".fragment").length;
      let worst = extent(section);
      for (let f = 0; f < fragments; f++) {
        R.slide(h, v, f);
        await frame();
        const e = extent(section);
        if (e.height * e.width > worst.height * worst.width || e.scrollers.length > worst.scrollers.length) worst = e;
      }
      const heading = section.querySelector("h1, h2, h3, h4");
      let title = "";
      if (heading) {  // the heading's text, formulas as their TeX
        const copy = heading.cloneNode(true);
        copy.querySelectorAll('script[type^="math/tex"]').forEach(s => s.replaceWith("$" + s.textContent + "$"));
        copy.querySelectorAll(MATH + ", .MathJax_Preview, .anchor-link").forEach(m => m.remove());
        title = copy.textContent.trim();
      }
      slides.push({number, h, v, fragments, title,
                   figure_scale: parseFloat(section.dataset.fitScale || "1"),
                   width: worst.width, height: worst.height, scrollers: worst.scrollers, words: words(section)});
    }
  }
  return {canvas: [W, H], total: R.getTotalSlides(), slides};
}"""


def measure_deck(page, url: str, name: str) -> DeckFit:
    """Open URL (a deck) in PAGE and measure every slide; raises MeasureError when it cannot."""
    page.set_viewport_size(VIEWPORT)
    page.goto(url, wait_until="load")
    try:
        result = page.evaluate(WALK_DECK, REVEAL_JS)
    except Exception as err:  # Playwright reports page-side exceptions as its own Error type
        raise MeasureError(f"{name}: could not walk the deck: {err}") from err
    canvas = tuple(result["canvas"])
    slides = [SlideFit(deck=name, canvas=canvas, **s) for s in result["slides"]]
    if result["total"] != len(slides):
        raise MeasureError(f"{name}: Reveal counts {result['total']} slides, the walk found {len(slides)}")
    return DeckFit(name=name, canvas=canvas, slides=slides)


# --------------------------------------------------------------------------- serving and launching


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(folder: Path):
    """FOLDER over HTTP on 127.0.0.1 (a free port); yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextlib.contextmanager
def chromium(path: str = CHROMIUM, playwright=None):
    """A headless Chromium (Debian's, not a Playwright download) through Playwright.

    ``playwright``: an already started sync Playwright to launch it from (its
    sync API allows one instance per thread, so tests share theirs); by
    default one is started and stopped here.
    """
    from playwright.sync_api import sync_playwright

    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        raise MeasureError(f"no Chromium at {path}: install it (Debian/Ubuntu: apt-get install chromium) "
                           "or set CHROMIUM=/path/to/chromium")
    pw = playwright or sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        if playwright is None:
            pw.stop()


def measure_site(browser, base_url: str, names: list[str]) -> list[DeckFit]:
    """Measure SITE/slides/NAME.slides.html for every name, served at BASE_URL."""
    decks = []
    context = browser.new_context(viewport=VIEWPORT)
    try:
        for name in names:
            page = context.new_page()
            page.set_default_timeout(60_000)
            try:
                decks.append(measure_deck(page, f"{base_url}/{export.FOLDERS['slides']}/{name}.slides.html", name))
            finally:
                page.close()
    finally:
        context.close()
    return decks


def build_and_measure(notebooks: list[Path] | None = None, site: Path | None = None) -> list[DeckFit]:
    """Build the decks of NOTEBOOKS (default: every chapter) as `make slides` does, and measure them."""
    notebooks = repo.content_notebooks() if notebooks is None else notebooks
    with contextlib.ExitStack() as stack:
        if site is None:
            site = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="slide-fit-")))
        export.build("slides", notebooks, site)
        base = stack.enter_context(serve(site))
        browser = stack.enter_context(chromium())
        return measure_site(browser, base, [p.stem for p in notebooks])


def totals(decks: list[DeckFit]) -> dict:
    """The benchmark figures: slides, overflowing slides, median and longest slide in words."""
    slides = [s for d in decks for s in d.slides]
    words = [s.words for s in slides] or [0]
    return {
        "decks": len(decks),
        "slides": len(slides),
        "overflowing": sum(s.overflows for s in slides),
        "median_words": float(statistics.median(words)),
        "max_words": max(words),
        "tallest_px": max((s.height for s in slides), default=0.0),
    }


def main(argv: list[str]) -> int:
    per_slide = "--slides" in argv
    prefixes = [a for a in argv if not a.startswith("--")]
    notebooks = [p for p in repo.content_notebooks() if not prefixes or any(p.name.startswith(x) for x in prefixes)]
    try:
        decks = build_and_measure(notebooks)
    except (MeasureError, RuntimeError) as err:
        print(err, file=sys.stderr)
        return 1
    for deck in decks:
        print(deck.summary())
        for s in deck.slides if per_slide else deck.overflowing:
            flag = "OVERFLOW " if s.overflows else ""
            print(f"    {flag}{s.describe()}, {s.words} words")
    t = totals(decks)
    print(f"{t['overflowing']} of {t['slides']} slides in {t['decks']} decks overflow; "
          f"words per slide median {t['median_words']:.0f}, max {t['max_words']}; tallest {t['tallest_px']:.0f} px")
    return 1 if t["overflowing"] else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
