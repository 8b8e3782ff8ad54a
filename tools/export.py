"""Offline HTML pages and reveal.js decks of the notebooks (``make html``, ``make slides``).

    python -m tools.export html               # build/html/NN_name.html, index included
    python -m tools.export slides             # build/slides/NN_name.slides.html
    python -m tools.export slides 03 05       # only the notebooks whose names start so

Both run ``jupyter nbconvert`` (as ``python -m nbconvert``) on the committed
notebooks, which carry their outputs; nothing is executed. No page needs the
network:

- reveal.js, MathJax 2, require.js and jQuery load from ``build/vendor/``
  (``tools.vendor``: npm packages pinned in package.json / package-lock.json),
  through nbconvert's ``reveal_url_prefix`` / ``mathjax_url`` / ``require_js_url``
  / ``jquery_url`` options, as relative URLs (``../vendor/node_modules/...``), so
  the ``build/`` folder works from the file system, from ``python -m http.server``
  or copied elsewhere as a whole;
- decks use ``tools/nbconvert_templates/offline_reveal``: nbconvert's reveal
  template without its unconditional mermaid.js import from a CDN, with a
  stylesheet and start-up script for slides that fit (below);
- images: output images are always inlined by nbconvert, markdown images are
  embedded (``embed_images``);
- ``OfflineAssets`` below points the Font Awesome stylesheet that matplotlib's
  ``to_jshtml`` player links from a CDN at the local copy, and turns links
  between notebooks (``03_vae.ipynb``) into links between the built pages.

How a notebook becomes a deck
-----------------------------

The notebook stays as it reads best in JupyterLab and on nbviewer; the slide
export alone (``tools.slide_layout.SlideLayout``, a preprocessor only this
build runs) turns it into slides that fit reveal.js's 960 x 700 canvas and
never scroll:

- structure comes from each cell's ``slideshow.slide_type`` (``slide``,
  ``subslide`` for a vertical slide, ``fragment``, ``-`` to continue, ``skip``,
  ``notes``), as RISE and nbconvert read it;
- markdown: the slide shows the cell's headings, display maths and images, and
  a lead: the first sentence of its first paragraph, or the first sentence of
  each item of its first list (a bold opening sentence when an item has one),
  at most about 50 words. The full prose goes to the speaker notes (press
  ``s``). A cell of at most 35 words stays whole. To choose the slide text
  yourself, put a line ``<!-- notes -->`` in the cell: what is above it is the
  slide, what is below it the notes (the comment shows nowhere else);
- code: hidden; its outputs are shown. Figures are sized to the room the slide's
  text leaves (up to 1.5 times their own size, smaller when the slide would
  overflow); a figure too tall to read at that size is cut between rows of
  background pixels into bands, one per vertical slide, and one too wide is cut
  between panels into pieces shown one under the other. Printouts longer than
  14 lines keep their first line and last lines; tables longer than 10 rows are
  split with their header repeated; prose printed as markdown is shortened like
  a markdown cell. Live widgets without saved state are left out;
- a cell that would overfill its slide moves on to a new vertical slide, with
  the markdown caption just before it.

Tags (cell metadata ``tags``, in JupyterLab's property inspector) override the
rules for one cell; ``python -m tools.publishing --check`` refuses unknown
``slide-*`` tags:

- ``slide-code``: show this code cell's source on its slide (the code is the point);
- ``slide-text``: show the cell's text in full: a markdown cell unshortened, a
  printout untrimmed (notebook 03's printed ``train_step``);
- ``notes``: the cell goes to the speaker notes (a markdown cell keeps its headings).

tests/test_slides.py builds every deck as ``make slides`` does and checks, in
Chromium, that no slide overflows; ``python -m benchmarks --only slides``
reports the overflowing slides and the words on the median slide.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from traitlets import Unicode

from tools import repo, vendor
from tools.slide_layout import CANVAS

BUILD = vendor.BUILD
TEMPLATES = Path(__file__).resolve().parent / "nbconvert_templates"
#: From build/html/ and build/slides/ (or any SITE/KIND/ with SITE/vendor beside it).
VENDOR_URL = "../vendor/node_modules"
FOLDERS = {"html": "html", "slides": "slides"}
#: The tag of a chapter's claim-checking cells, whose code the pages hide.
CLAIM_TAG = "remove-input"
SUFFIXES = {"html": ".html", "slides": ".slides.html"}

CDN_FONT_AWESOME = re.compile(r"""https?://[^"'\s>]*font-awesome[^"'\s>]*?\.css""")
NOTEBOOK_LINK = re.compile(r"(\]\()(\d\d_[A-Za-z0-9_\-]+)\.ipynb((?:#[^)\s]*)?\))")


class OfflineAssets(Preprocessor):
    """Point CDN stylesheets in outputs at build/vendor and notebook links at the built pages."""

    vendor_url = Unicode(VENDOR_URL, help="URL of node_modules as seen from the page").tag(config=True)
    link_suffix = Unicode(".html", help="What a link to NN_name.ipynb becomes: NN_name + this").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            cell.source = NOTEBOOK_LINK.sub(rf"\g<1>\g<2>{self.link_suffix}\g<3>", cell.source)
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            html = data.get("text/html")
            if html is not None:
                html = "".join(html) if isinstance(html, list) else html
                data["text/html"] = CDN_FONT_AWESOME.sub(
                    f"{self.vendor_url}/font-awesome/css/font-awesome.min.css", html
                )
        return cell, resources


def nbconvert_command(kind: str, notebooks: list[Path], out_dir: Path) -> list[str]:
    """The ``jupyter nbconvert`` call (as ``python -m nbconvert``) that builds KIND pages offline."""
    v = VENDOR_URL
    cmd = [
        sys.executable, "-m", "nbconvert",
        "--to", kind,
        "--output-dir", str(out_dir),
        "--log-level=WARN",
        f"--TemplateExporter.extra_template_basedirs={TEMPLATES}",
        f"--HTMLExporter.require_js_url={v}/requirejs/require.js",
        f"--HTMLExporter.mathjax_url={v}/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
        f"--HTMLExporter.jquery_url={v}/jquery/dist/jquery.min.js",
        "--HTMLExporter.embed_images=True",
        f"--OfflineAssets.vendor_url={v}",
        f"--OfflineAssets.link_suffix={SUFFIXES[kind]}",
        # the chapters' claim checks (CONTRIBUTING.md): their outputs, if any, stay; their code does not
        f"--TagRemovePreprocessor.remove_input_tags={CLAIM_TAG}",
    ]
    if kind == "html":
        cmd += ["--HTMLExporter.preprocessors=tools.export.OfflineAssets"]
    if kind == "slides":
        cmd += [
            "--template=offline_reveal",
            # the slide convention (tools.slide_layout): prose to speaker notes, code hidden, slides that fit
            "--SlidesExporter.preprocessors=tools.export.OfflineAssets",
            "--SlidesExporter.preprocessors=tools.slide_layout.SlideLayout",
            "--SlidesExporter.exclude_input_prompt=True",
            "--SlidesExporter.exclude_output_prompt=True",
            f"--SlidesExporter.reveal_url_prefix={v}/reveal.js",
            "--SlidesExporter.reveal_theme=white",  # its fonts ship with reveal.js; some themes use Google Fonts
            "--SlidesExporter.reveal_number=c/t",
            f"--SlidesExporter.reveal_width={CANVAS[0]}",
            f"--SlidesExporter.reveal_height={CANVAS[1]}",
            "--SlidesExporter.reveal_scroll=False",  # a slide never scrolls: it fits (tests/test_slides.py)
        ]
    return cmd + [str(p) for p in notebooks]


def output_path(kind: str, notebook: Path, site: Path = BUILD) -> Path:
    return site / FOLDERS[kind] / (notebook.stem + SUFFIXES[kind])


def build(kind: str, notebooks: list[Path], site: Path = BUILD, *, quiet: bool = True) -> list[Path]:
    """Write KIND pages of NOTEBOOKS to SITE/html or SITE/slides; SITE/vendor holds the assets.

    The assets are installed into build/vendor when needed; a SITE other than
    build/ gets a ``vendor`` symlink to it.
    """
    if kind not in FOLDERS:
        raise ValueError(f"kind must be one of {sorted(FOLDERS)}, got {kind!r}")
    vendor.ensure(quiet=quiet)
    site = Path(site)
    out_dir = site / FOLDERS[kind]
    out_dir.mkdir(parents=True, exist_ok=True)
    link = site / "vendor"
    if site.resolve() != BUILD.resolve() and not link.exists():
        link.symlink_to(vendor.VENDOR, target_is_directory=True)
    if not notebooks:
        return []
    cmd = nbconvert_command(kind, notebooks, out_dir)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(repo.REPO), os.environ.get("PYTHONPATH")])))
    if not quiet:
        print("jupyter nbconvert " + " ".join(cmd[3:]), flush=True)
    proc = subprocess.run(cmd, cwd=repo.REPO, env=env, capture_output=quiet, text=True)
    if proc.returncode != 0:
        detail = f"\n{proc.stdout}\n{proc.stderr}" if quiet else ""
        raise RuntimeError(f"nbconvert --to {kind} failed (exit {proc.returncode}){detail}")
    outputs = [output_path(kind, nb, site) for nb in notebooks]
    missing = [str(p) for p in outputs if not p.is_file()]
    if missing:
        raise RuntimeError(f"nbconvert did not write {', '.join(missing)}")
    return outputs


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in FOLDERS:
        print(__doc__)
        return 2
    kind, prefixes = argv[0], argv[1:]
    notebooks = repo.all_notebooks() if kind == "html" else repo.content_notebooks()
    if prefixes:
        notebooks = [p for p in notebooks if any(p.name.startswith(x) for x in prefixes)]
    if not notebooks:
        print("no notebooks to convert")
        return 1
    start = time.perf_counter()
    try:
        outputs = build(kind, notebooks, quiet=False)
    except (RuntimeError, vendor.VendorError) as err:
        print(err, file=sys.stderr)
        return 1
    for path in outputs:
        print(f"  {path.relative_to(repo.REPO)}")
    print(f"{len(outputs)} {kind} page(s) in {time.perf_counter() - start:.1f} s; "
          f"open build/{FOLDERS[kind]}/ in a browser (no network needed)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
