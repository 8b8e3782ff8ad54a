"""The committed notebooks can be browsed (GitHub, nbviewer) and presented (slides).

- notebooks/00_index.ipynb and the README's notebook table are what
  ``python -m tools.publishing`` generates from the notebooks present, link every
  chapter, and every link resolves;
- committed notebooks are clean (``nbstripout --verify`` with the flags ``make run``
  cleans with), hold no error output, no widget state GitHub refuses, and are
  under 3 MB;
- every chapter has a title cell and slide metadata on every cell, with its
  setup cell skipped;
- the checks themselves catch what they are meant to (on small notebooks made here).

Nothing here executes a notebook; the whole file runs in a few seconds.
"""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest

from conftest import REPO

if str(REPO) not in sys.path:  # tools/ is not an installed package
    sys.path.insert(0, str(REPO))

from tools import publishing, repo, run_notebooks  # noqa: E402

CHAPTERS = repo.content_notebooks()
ALL = repo.all_notebooks()
NBVIEWER_PREFIX = f"https://nbviewer.org/github/{repo.REPO_SLUG}/"
NBVIEWER_PATHS = (f"blob/{repo.BRANCH}/", f"tree/{repo.BRANCH}/")
REGENERATE = "run `python -m tools.publishing` (make run does it too) and commit the result"


def _ids(paths):
    return [p.stem for p in paths]


def _check_link(target: str, base: Path) -> str | None:
    """None when TARGET (a markdown link in a file in BASE) resolves, else why not."""
    if target.startswith("#"):
        return None
    url = urlsplit(target)
    if url.scheme in ("http", "https"):
        if url.netloc == "nbviewer.org":
            if not target.startswith(NBVIEWER_PREFIX):
                return f"{target}: nbviewer link not under {NBVIEWER_PREFIX} (REPO_SLUG / BRANCH in tools/repo.py)"
            rel = target[len(NBVIEWER_PREFIX):].split("#")[0]
            kind = next((k for k in NBVIEWER_PATHS if rel.startswith(k)), None)
            if kind is None:
                return f"{target}: not a blob/{repo.BRANCH} or tree/{repo.BRANCH} link (BRANCH in tools/repo.py)"
            return None if (REPO / rel[len(kind):]).exists() else f"{target}: no {rel[len(kind):]} in the repository"
        return None  # other sites (badges) are not ours to check offline
    if url.scheme:
        return f"{target}: unexpected link scheme"
    return None if (base / url.path).exists() else f"{target}: no such file beside {base.name}/"


# --------------------------------------------------------------------------- index and README


def test_index_is_generated_from_the_notebooks_present():
    assert repo.INDEX.is_file(), f"{repo.INDEX_NAME} is missing: {REGENERATE}"
    current = repo.INDEX.read_text(encoding="utf-8") == publishing.index_text()
    assert current, (
        f"{repo.INDEX_NAME} does not match the notebooks present (added, renamed or retitled?): {REGENERATE}"
    )


def test_index_links_every_chapter_and_every_link_resolves():
    nb = nbformat.read(repo.INDEX, as_version=4)
    links = [target for _, target in publishing.markdown_links(nb)]
    linked = {urlsplit(t).path for t in links if not urlsplit(t).scheme}
    unlinked = [p.name for p in CHAPTERS if p.name not in linked]
    assert not unlinked, f"chapters missing from the index: {unlinked}; {REGENERATE}"
    broken = [why for t in links if (why := _check_link(t, repo.NOTEBOOK_DIR))]
    assert not broken, broken


def test_readme_links_every_notebook_on_nbviewer():
    readme = publishing.README
    assert readme.is_file(), f"README.md is missing: {REGENERATE}"
    text = readme.read_text(encoding="utf-8")
    assert publishing.README_SECTION in text
    current = publishing.generated_table_in(text) == publishing.readme_table()
    assert current, f"README notebook table is stale: {REGENERATE}"
    table = publishing.generated_table_in(text)
    links = publishing.MARKDOWN_LINK.findall(table)
    for path in ALL:
        assert f"({repo.nbviewer_url(path)})" in table, f"no nbviewer link for {path.name}"
        assert f"({repo.repo_path(path)})" in table, f"no link to {repo.repo_path(path)}"
    broken = [why for _, t in links if (why := _check_link(t, REPO))]
    assert not broken, broken


def test_repo_slug_is_written_in_one_place_only():
    """REPO_SLUG appears literally only in tools/repo.py and in the files generated from it."""
    generated = {publishing.README, repo.INDEX}
    offenders = []
    for path in [*REPO.glob("tools/**/*.py"), *REPO.glob("tests/*.py"), *REPO.glob("helpers/*.py"),
                 REPO / "Makefile", *REPO.glob("notebooks/*.ipynb"), *REPO.glob("*.md")]:
        if path == REPO / "tools" / "repo.py" or path in generated or not path.is_file():
            continue
        if repo.REPO_SLUG in path.read_text(encoding="utf-8", errors="replace"):
            offenders.append(str(path.relative_to(REPO)))
    assert not offenders, f"the GitHub slug is hard-coded in {offenders}: use tools.repo.REPO_SLUG"


# --------------------------------------------------------------------------- committed notebooks


@functools.lru_cache(maxsize=1)
def _unclean_committed() -> dict:
    return publishing.unclean_notebooks(ALL)  # one nbstripout run for every notebook


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_committed_notebook_is_clean(path: Path):
    report = _unclean_committed().get(path)
    assert report is None, (
        f"{path.name} has volatile metadata (timestamps, widget state, cell ids) or error outputs: "
        f"commit the output of `make run`, or run `python -m nbstripout {' '.join(publishing.NBSTRIPOUT_FLAGS)} "
        f"{repo.repo_path(path)}`\n{report}"
    )


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_committed_notebook_renders_on_github(path: Path):
    """No error output, no widget state without 'state', under 3 MB."""
    assert publishing.notebook_problems(path) == []


@pytest.mark.parametrize("path", CHAPTERS, ids=_ids(CHAPTERS))
def test_chapter_has_a_title_cell(path: Path):
    assert repo.notebook_title(path), f"{path.name}: the first markdown cell should open with a '# Title' line"


@pytest.mark.parametrize("path", CHAPTERS, ids=_ids(CHAPTERS))
def test_chapter_has_slide_metadata_and_skips_its_setup_cell(path: Path):
    assert publishing.slide_problems(path) == []


# --------------------------------------------------------------------------- the checks themselves


def _notebook(tmp_path: Path, name: str = "01_example.ipynb", *, cells=None) -> Path:
    """A small chapter as `make run` leaves it: slide metadata, setup cell skipped, clean."""
    def cell(kind, source, slide_type):
        c = nbformat.v4.new_markdown_cell(source) if kind == "md" else nbformat.v4.new_code_cell(source)
        c.metadata["slideshow"] = {"slide_type": slide_type}
        return c

    nb = nbformat.v4.new_notebook()
    nb.cells = cells if cells is not None else [
        cell("md", "# Example chapter\n\nText.", "slide"),
        cell("code", "from helpers import config\nS = config.setup()", "skip"),
        cell("md", "## Second slide", "slide"),
        cell("code", "1 + 1", "-"),
    ]
    for i, c in enumerate(nb.cells):
        c.id = str(i)  # as nbstripout numbers them
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def test_checks_pass_a_good_notebook_and_catch_problems(tmp_path):
    good = _notebook(tmp_path)
    assert publishing.notebook_problems(good) == []
    assert publishing.slide_problems(good) == []
    assert repo.notebook_title(good) == "Example chapter"

    timestamps = _notebook(tmp_path, "02_timestamps.ipynb")
    nb = nbformat.read(timestamps, as_version=4)
    nb.cells[3].metadata["execution"] = {"iopub.execute_input": "2026-01-01T00:00:00.000Z"}
    nbformat.write(nb, timestamps)

    broken = _notebook(tmp_path, "03_broken.ipynb")
    nb = nbformat.read(broken, as_version=4)
    nb.cells[3].outputs = [
        nbformat.v4.new_output("error", ename="ValueError", evalue="boom", traceback=[]),
        nbformat.v4.new_output("stream", name="stdout", text="x" * publishing.MAX_NOTEBOOK_BYTES),
    ]
    nb.metadata["widgets"] = {publishing.WIDGET_STATE: {"version_major": 2, "version_minor": 0}}
    nbformat.write(nb, broken)
    problems = "\n".join(publishing.notebook_problems(broken))
    assert "ValueError" in problems and "'state'" in problems and "MB" in problems

    assert set(publishing.unclean_notebooks([good, timestamps, broken])) == {timestamps, broken}
    # what `make run` does after executing a notebook satisfies the check
    run_notebooks.clean(timestamps)
    assert publishing.unclean_notebooks([good, timestamps]) == {}


def test_slide_check_catches_missing_metadata_and_a_shown_setup_cell(tmp_path):
    path = _notebook(tmp_path)
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].metadata["slideshow"]["slide_type"] = "-"
    del nb.cells[3].metadata["slideshow"]
    nbformat.write(nb, path)
    problems = "\n".join(publishing.slide_problems(path))
    assert "setup cell" in problems and "cell 3" in problems


def test_index_and_readme_follow_the_notebooks(tmp_path):
    chapters = [_notebook(tmp_path, name) for name in ("01_first.ipynb", "02_second.ipynb")]
    index = publishing.index_notebook(chapters)
    targets = [t for _, t in publishing.markdown_links(index)]
    assert "01_first.ipynb" in targets and "02_second.ipynb" in targets
    assert "[Example chapter](01_first.ipynb)" in "\n".join(c.source for c in index.cells)
    readme = publishing.readme_text("# Project\n\nIntro by the lead.\n", chapters)
    assert readme.startswith("# Project\n\nIntro by the lead.\n") and publishing.README_SECTION in readme
    # regenerating replaces the table only, whatever else the README says
    edited = readme.replace("Intro by the lead.", "A longer intro.") + "\n## Later section\n"
    again = publishing.readme_text(edited, chapters[:1])
    assert "A longer intro." in again and again.endswith("\n## Later section\n")
    assert "02_second" not in publishing.generated_table_in(again)
    assert re.search(r"\(https://nbviewer\.org/github/[^)]*/01_first\.ipynb\)", again)
