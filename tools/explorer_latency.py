"""The browser explorer measured in Chromium: time per slider move, and its images against Keras (issue 13).

A block from ``helpers.browser_explorer`` is written into a standalone page,
served on 127.0.0.1 and opened in headless Chromium (``tools.slide_fit``'s
launcher, flags and ``CHROMIUM`` setting). In the page:

- slider moves are made as a user makes them, back and forth over the range
  (value set, ``input`` event: the page's own ``benchmark(n)``), after 20
  warm-up moves that let the JavaScript engine compile the decoder; the page
  times each decode + draw with ``performance.now()``;
- a grid of settings is visited through the page's menus and slider (digits x
  the class pair and every named axis x alphas), and the code and decoded
  image the page used at each are compared with ``decode`` (the Keras decoder).

Used by the ``jsexplorer`` section of ``python -m benchmarks``.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import numpy as np

from tools import slide_fit

WARM_UP_MOVES = 20

SWEEP = """async ({id, digits, alphas}) => {
  const inst = window.latentExplorers.byId[id], root = inst.element;
  const control = cls => root.querySelector('.' + cls);
  const choose = (cls, value) => { const m = control(cls); m.value = String(value); m.dispatchEvent(new Event('change')); };
  const slider = control('lx-slider'), labels = [];
  const axes = control('lx-axis') ? [...control('lx-axis').options].map(o => o.value) : ['class pair'];  // no menu: no axes
  for (const o of control('lx-digit').options) labels.push(+o.textContent.match(/a (\\d+)\\)/)[1]);
  const out = [];
  for (const d of digits) {
    choose('lx-digit', d);
    for (const axis of axes) {
      if (control('lx-axis')) choose('lx-axis', axis);
      if (axis === 'class pair') { choose('lx-b', labels[d]); choose('lx-a', (labels[d] + 1 + d % 9) % 10); }  // never a = b
      for (const a of alphas) {
        slider.value = String(a); slider.dispatchEvent(new Event('input'));
        const s = inst.state(); out.push([s.code, s.image]);
      }
    }
  }
  return out;
}"""


def measure(block, decode, moves: int = 200, digits: int = 8, alphas: int = 7, browser=None) -> dict:
    """Latency per slider move (ms) and the largest page-vs-``decode`` pixel gap, for BLOCK in Chromium.

    ``browser``: a Playwright browser to use; by default a headless Chromium is
    started (``tools.slide_fit.chromium``). Raises ``slide_fit.MeasureError``
    without Chromium, or when the page reports a script error or asks for
    anything but 127.0.0.1.
    """
    from helpers.browser_explorer import standalone_page

    with contextlib.ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="jsexplorer-"))
        url = stack.enter_context(slide_fit.serve(Path(folder)))
        if browser is None:
            browser = stack.enter_context(slide_fit.chromium())
        (Path(folder) / "explorer.html").write_text(standalone_page(block))
        context = browser.new_context(viewport=slide_fit.VIEWPORT)
        problems: list[str] = []

        def offline(route):
            if route.request.url.startswith(url):
                route.continue_()
            else:
                problems.append(f"request to {route.request.url}")
                route.abort()

        context.route("**/*", offline)
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.on("pageerror", lambda exc: problems.append(f"uncaught: {exc}"))
        page.on("console", lambda msg: problems.append(f"console.error: {msg.text}") if msg.type == "error" else None)
        try:
            page.goto(f"{url}/explorer.html", wait_until="load")
            page.wait_for_function("() => ['ready', 'error'].includes("
                                   "document.querySelector('div.lx-explorer').getAttribute('data-lx-state'))")
            state = page.get_attribute("div.lx-explorer", "data-lx-state")
            if state != "ready":
                raise slide_fit.MeasureError(f"the explorer did not start: {page.inner_text('div.lx-explorer')}")
            page.evaluate("([id, n]) => window.latentExplorers.byId[id].benchmark(n)", [block.element_id, WARM_UP_MOVES])
            timings = np.asarray(page.evaluate("([id, n]) => window.latentExplorers.byId[id].benchmark(n)",
                                               [block.element_id, int(moves)]), np.float64)
            low, high = block.report["alpha_range"]
            sweep = page.evaluate(SWEEP, {"id": block.element_id, "digits": list(range(min(digits, len(block.codes)))),
                                          "alphas": [float(a) for a in np.linspace(low, high, alphas)]})
        finally:
            context.close()
    if problems:
        raise slide_fit.MeasureError("; ".join(problems))
    codes = np.asarray([c for c, _ in sweep], np.float32)
    images = np.asarray([i for _, i in sweep], np.float64)
    reference = np.asarray(decode(codes), np.float64).reshape(len(codes), -1)
    return {"median_ms": float(np.median(timings)), "p95_ms": float(np.percentile(timings, 95)),
            "max_ms": float(timings.max()), "moves": len(timings),
            "max_pixel_error": float(np.abs(images - reference).max()), "states": len(codes)}
