"""The committed notebooks can be browsed (GitHub, nbviewer, Colab, Binder) and presented (slides).

- notebooks/00_index.ipynb, the README's notebook table and every chapter's first-cell
  bootstrap are what ``python -m tools.publishing`` generates for the slug the committed
  files record (or a pinned one), and link every chapter;
- every link in the README, the index and every notebook resolves: relative links to
  files (and #anchors) that exist, absolute ones https, to real hosts, no placeholder,
  and those to nbviewer/Colab/Binder/GitHub name this repository's files;
- the slug comes from the origin remote (https, ssh), an override, or nowhere (temporary
  git repositories made here), and each case generates the links it should;
- committed notebooks are clean (``nbstripout --verify`` with the flags ``make run``
  cleans with), hold no error output, no TensorFlow/absl log line, no widget state
  GitHub refuses, and are under 3 MB;
- every chapter has a title cell and slide metadata on every cell, with its
  setup cell skipped;
- environment.yml is what Binder (repo2docker) can build, pyproject.toml's ranges admit
  requirements.txt's pins;
- the checks themselves catch what they are meant to (on small notebooks made here).

Nothing here executes a notebook; the whole file runs in a few seconds.
"""

from __future__ import annotations

import functools
import re
import subprocess
import sys
import tomllib
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
#: The slug the committed files are for (None in a checkout that knows no GitHub repository).
SLUG = publishing.expected_slug()
REGENERATE = "run `python -m tools.publishing` (make run does it too) and commit the result"


def _ids(paths):
    return [p.stem for p in paths]


# --------------------------------------------------------------------------- index and README


def test_index_is_generated_from_the_notebooks_present():
    assert repo.INDEX.is_file(), f"{repo.INDEX_NAME} is missing: {REGENERATE}"
    current = repo.INDEX.read_text(encoding="utf-8") == publishing.index_text(slug=SLUG)
    assert current, (
        f"{repo.INDEX_NAME} does not match the notebooks present (added, renamed or retitled?): {REGENERATE}"
    )


def test_index_links_every_chapter():
    nb = nbformat.read(repo.INDEX, as_version=4)
    links = [target for _, target in publishing.markdown_links(nb)]
    linked = {urlsplit(t).path for t in links if not urlsplit(t).scheme}
    unlinked = [p.name for p in CHAPTERS if p.name not in linked]
    assert not unlinked, f"chapters missing from the index: {unlinked}; {REGENERATE}"


def test_readme_table_links_every_notebook():
    readme = publishing.README
    assert readme.is_file(), f"README.md is missing: {REGENERATE}"
    text = readme.read_text(encoding="utf-8")
    assert publishing.README_SECTION in text
    table = publishing.generated_table_in(text)
    assert table == publishing.readme_table(slug=SLUG), f"README notebook table is stale: {REGENERATE}"
    for path in ALL:
        assert f"({repo.repo_path(path)})" in table, f"no link to {repo.repo_path(path)}"
        if SLUG:
            assert f"({repo.nbviewer_url(path, SLUG)})" in table, f"no nbviewer link for {path.name}"
            assert f"({repo.binder_url(path, SLUG)})" in table, f"no Binder link for {path.name}"


@pytest.mark.parametrize("path", CHAPTERS, ids=_ids(CHAPTERS))
def test_chapter_opens_with_the_bootstrap(path: Path):
    """The first code cell makes the chapter runnable in Colab (tools.publishing.bootstrap_source)."""
    assert publishing.bootstrap_problems(path, SLUG) == [], REGENERATE


@pytest.mark.parametrize("path", [publishing.README, *ALL], ids=["README", *_ids(ALL)])
def test_every_link_resolves(path: Path):
    """Relative links: the file (and #anchor) exists. Absolute: https, a real host, no placeholder, ours resolve."""
    assert publishing.link_problems(path, SLUG) == []


def test_no_placeholder_repository_anywhere():
    """No 'OWNER/...' left where a reader or a tool would take it for the repository."""
    placeholder = re.compile(r"OWNER/|/owner/|github\.com/(?:user|username|your-?name)/")
    offenders = []
    for path in [*REPO.glob("tools/**/*.py"), *REPO.glob("tests/*.py"), *REPO.glob("helpers/*.py"),
                 REPO / "Makefile", REPO / "environment.yml", REPO / "pyproject.toml",
                 *REPO.glob("notebooks/*.ipynb"), *REPO.glob("*.md")]:
        if path == Path(__file__) or not path.is_file():
            continue
        if placeholder.search(path.read_text(encoding="utf-8", errors="replace")):
            offenders.append(str(path.relative_to(REPO)))
    assert not offenders, f"a placeholder repository address in {offenders}"


# --------------------------------------------------------------------------- where the slug comes from


def _git_repo(folder: Path, origin: str | None) -> Path:
    folder.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    if origin is not None:
        subprocess.run(["git", "-C", str(folder), "remote", "add", "origin", origin], check=True)
    return folder


@pytest.mark.parametrize("origin, slug", [
    ("https://github.com/alice/generative-tutorials.git", "alice/generative-tutorials"),
    ("https://github.com/alice/generative-tutorials", "alice/generative-tutorials"),
    ("git@github.com:alice/generative-tutorials.git", "alice/generative-tutorials"),
    ("ssh://git@github.com/alice/gen.tut", "alice/gen.tut"),
    (None, None),                                   # no origin (this checkout)
    ("/srv/ci/clone-of-main", None),                # CI's clean clone: a local path
    ("https://gitlab.com/alice/generative-tutorials.git", None),
])
def test_slug_comes_from_a_github_origin_only(tmp_path, monkeypatch, origin, slug):
    monkeypatch.delenv(repo.SLUG_ENV, raising=False)
    monkeypatch.setattr(repo, "REPO_SLUG", None)
    folder = _git_repo(tmp_path / "clone", origin)
    assert repo.origin_url(folder) == origin
    assert repo.github_slug(folder) == slug


def test_slug_override_wins_and_is_checked(tmp_path, monkeypatch):
    folder = _git_repo(tmp_path / "clone", "git@github.com:alice/generative-tutorials.git")
    monkeypatch.setattr(repo, "REPO_SLUG", "carol/pinned")
    assert repo.github_slug(folder) == "carol/pinned"
    monkeypatch.setenv(repo.SLUG_ENV, "bob/fork")
    assert repo.github_slug(folder) == "bob/fork"
    monkeypatch.setenv(repo.SLUG_ENV, "none")
    assert repo.github_slug(folder) is None
    monkeypatch.setenv(repo.SLUG_ENV, "https://github.com/bob/fork")
    with pytest.raises(ValueError, match=repo.SLUG_ENV):
        repo.github_slug(folder)
    monkeypatch.delenv(repo.SLUG_ENV)
    monkeypatch.setattr(repo, "REPO_SLUG", "not a slug")
    with pytest.raises(ValueError, match="REPO_SLUG"):
        repo.github_slug(folder)
    assert repo.origin_url(tmp_path / "not-a-repository") is None


def test_links_for_a_known_slug_and_for_none():
    """With a slug: nbviewer, Colab and Binder for every notebook, all resolving. Without: relative only."""
    slug = "alice/generative-tutorials"
    nb = publishing.index_notebook(slug=slug)
    index_md = [c.source for c in nb.cells]
    readme = publishing.readme_text(publishing.README.read_text(encoding="utf-8"), slug=slug)
    for chapter in CHAPTERS:
        name = chapter.name
        colab = f"https://colab.research.google.com/github/{slug}/blob/main/notebooks/{name}"
        binder = f"https://mybinder.org/v2/gh/{slug}/main?labpath=notebooks%2F{name}"
        for text in ("\n".join(index_md), readme):
            assert f"({colab})" in text and f"({binder})" in text, name
            assert f"(https://nbviewer.org/github/{slug}/blob/main/notebooks/{name})" in text, name
    assert f"[![Open in Colab]({publishing.COLAB_BADGE})]" in readme
    assert publishing.recorded_slug(readme) == (True, slug)
    assert publishing.link_problems(publishing.README, slug, [readme]) == []
    assert publishing.link_problems(repo.INDEX, slug, index_md) == []
    # the same links are wrong for another repository, and for none
    assert publishing.link_problems(repo.INDEX, "bob/other", index_md)
    assert publishing.link_problems(repo.INDEX, None, index_md)

    bare = publishing.index_notebook(slug=None)
    bare_readme = publishing.readme_table(slug=None)
    assert publishing.recorded_slug(bare_readme) == (True, None)
    for text in [c.source for c in bare.cells] + [bare_readme]:
        targets = publishing.link_targets(text)
        assert not [t for t in targets if urlsplit(t).scheme], f"absolute links without a slug: {targets}"
    assert "main.zip" not in publishing.bootstrap_source(None).split("\n")[0]


def test_committed_files_record_their_slug():
    """The check holds in any clone: the files say which slug they were generated for."""
    text = publishing.README.read_text(encoding="utf-8")
    found, slug = publishing.recorded_slug(text)
    assert found, f"the README table's start marker does not say which repository it is for: {REGENERATE}"
    pinned, pinned_slug = repo.pinned_slug()
    assert slug == (pinned_slug if pinned else SLUG)


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


def test_slide_check_catches_unknown_and_misplaced_slide_tags(tmp_path):
    path = _notebook(tmp_path)
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].metadata["tags"] = ["slide-code"]  # on a markdown cell
    nb.cells[2].metadata["tags"] = ["notes", "slide-text"]
    nb.cells[3].metadata["tags"] = ["slide-txt", "hide-input"]  # a typo; other tags are not ours to check
    nbformat.write(nb, path)
    problems = publishing.slide_problems(path)
    assert len(problems) == 3, problems
    joined = "\n".join(problems)
    assert "cell 0" in joined and "markdown cell" in joined
    assert "cell 2" in joined and "contradict" in joined
    assert "cell 3" in joined and "'slide-txt'" in joined and "hide-input" not in joined
    nb.cells[0].metadata["tags"] = ["slide-text"]
    nb.cells[2].metadata["tags"] = ["notes"]
    nb.cells[3].metadata["tags"] = ["slide-code", "slide-text"]
    nbformat.write(nb, path)
    assert publishing.slide_problems(path) == []


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
    # regenerating replaces the table only, whatever else the README says, and whatever slug it had
    edited = readme.replace("Intro by the lead.", "A longer intro.") + "\n## Later section\n"
    again = publishing.readme_text(edited, chapters[:1], slug="alice/tutorials")
    assert "A longer intro." in again and again.endswith("\n## Later section\n")
    assert "02_second" not in publishing.generated_table_in(again)
    assert re.search(r"\(https://nbviewer\.org/github/alice/tutorials/blob/main/notebooks/01_first\.ipynb\)", again)
    assert publishing.readme_text(again, chapters[:1], slug=None).count(publishing.TABLE_MARK) == 1
    # a README from before the slug was recorded (old marker) is updated in place too
    old = "# P\n\n<!-- notebook-table:start (generated by `python -m tools.publishing`; edit tools/repo.py) -->\n|x|\n" \
          "<!-- notebook-table:end -->\ntail\n"
    assert publishing.readme_text(old, chapters, slug=None) == \
        "# P\n\n" + publishing.readme_table(chapters, slug=None) + "\ntail\n"


def test_bootstrap_is_added_once_and_follows_the_slug(tmp_path):
    path = _notebook(tmp_path)
    assert publishing.bootstrap_problems(path, None)
    assert publishing.add_bootstrap(path, None)
    assert not publishing.add_bootstrap(path, None)  # already there: nothing to do
    assert publishing.bootstrap_problems(path, None) == []
    assert publishing.bootstrap_problems(path, "alice/tutorials")  # made for no repository
    assert publishing.add_bootstrap(path, "alice/tutorials")
    source = nbformat.read(path, as_version=4).cells[1].source
    assert source.count("import helpers") == 1 and source.endswith("from helpers import config\nS = config.setup()")
    assert repo.archive_url("alice/tutorials") in source
    assert publishing.bootstrap_problems(path, "alice/tutorials") == []
    assert publishing.unclean_notebooks([path]) == {}  # written back clean
    with pytest.raises(ValueError, match="no code cell"):
        publishing.add_bootstrap(_notebook(tmp_path, "02_text.ipynb", cells=[nbformat.v4.new_markdown_cell("# T")]), None)


@pytest.mark.parametrize("slug", [None, "alice/tutorials"])
def test_bootstrap_is_short_valid_ipython(slug):
    from IPython.core.inputtransformer2 import TransformerManager

    source = publishing.bootstrap_source(slug)
    assert 2 <= len(source.splitlines()) <= 6
    compile(TransformerManager().transform_cell(source), "bootstrap", "exec")
    assert source.endswith(publishing.COLAB_WIDGETS)  # Colab draws the explorer widget only with its widget manager
    if slug:
        assert f'%pip install --quiet "{repo.PACKAGE_NAME} @ {repo.archive_url(slug)}"' in source
        assert "print(" in source  # says what it installs
    else:
        assert "%pip install" not in source.replace("`%pip install", "")  # only says how


def test_link_check_catches_what_cannot_resolve():
    slug = "alice/tutorials"
    good = [
        "[the README](../README.md#reading-presenting-running)", "[next](03_vae.ipynb)",
        "[a heading](#a-heading)", "[jupyter style](#A-heading)", "<a href='02_naive_bayes_sampling.ipynb'>02</a>",
        "[keras](https://keras.io/api/)", "https://arxiv.org/abs/1312.6114",
        f"[nbviewer](https://nbviewer.org/github/{slug}/blob/main/notebooks/03_vae.ipynb)",
        f"[![Binder]({publishing.BINDER_BADGE})](https://mybinder.org/v2/gh/{slug}/main?labpath=notebooks%2F03_vae.ipynb)",
        "`https://not.a.link/in/code` and\n```\nhttp://also.code\n```",
    ]
    bad = {
        "[gone](03_missing.ipynb)": "no such file",
        "[anchor](03_vae.ipynb#no-such-heading)": "no heading",
        "[here](#nowhere)": "no heading",
        "[up](../../outside.md)": "leaves the repository",
        "[insecure](http://keras.io/)": "https",
        "[local](https://localhost:8888/lab)": "public host",
        "[placeholder](https://nbviewer.org/github/OWNER/generative-tutorials/blob/main/notebooks/03_vae.ipynb)":
            "placeholder",
        "[fork](https://colab.research.google.com/github/bob/fork/blob/main/notebooks/03_vae.ipynb)": "not to this",
        f"[branch](https://nbviewer.org/github/{slug}/blob/dev/notebooks/03_vae.ipynb)": "branch",
        f"[renamed](https://mybinder.org/v2/gh/{slug}/main?labpath=notebooks%2F99_gone.ipynb)": "no notebooks/99_gone",
        f"[not a file](https://nbviewer.org/github/{slug})": "not a link to a file",
    }
    where = repo.NOTEBOOK_DIR / "01_generative_vs_discriminative.ipynb"
    texts = ["# A heading\n\n" + "\n\n".join(good)]
    assert publishing.link_problems(where, slug, texts) == []
    for link, why in bad.items():
        problems = publishing.link_problems(where, slug, texts + [link])
        assert len(problems) == 1 and why in problems[0], (link, problems)


def test_tensorflow_log_lines_in_outputs_are_caught(tmp_path):
    lines = [
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
        "I0000 00:00:1796114600.544766    9612 port.cc:153] oneDNN custom operations are on. You may see ...",
        "E0000 00:00:1700000000.1  12 cuda_executor.cc:1228] INTERNAL: CUDA Runtime error: Failed call to cuInit",
        "W0000 00:00:1700000000.1  12 gpu_device.cc:2341] Cannot dlopen some GPU libraries.",
        "2024-01-30 22:44:42.456316: I tensorflow/core/util/port.cc:153] oneDNN custom operations are on.",
        "2024-01-30 22:44:43.1: W tensorflow/compiler/tf2tensorrt/utils/py_utils.cc:38] TF-TRT Warning: no TensorRT",
        "WARNING:absl:You are saving your model as an HDF5 file",
    ]
    clean = ["mode: quick (TUTORIAL_QUICK=1), seed 0", "I0 is a label", "Epoch 1/2: loss 0.31", "WARNING: be careful"]
    assert [publishing.tensorflow_log.is_log_line(x) for x in lines] == [True] * len(lines)
    assert [publishing.tensorflow_log.is_log_line(x) for x in clean] == [False] * len(clean)

    path = _notebook(tmp_path)
    assert publishing.notebook_problems(path) == []
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="\n".join(clean) + "\n")]
    nbformat.write(nb, path)
    assert publishing.notebook_problems(path) == []
    for line in lines:
        nb.cells[1].outputs = [
            nbformat.v4.new_output("stream", name="stderr", text=f"{clean[0]}\n{line}\n"),
        ]
        nbformat.write(nb, path)
        problems = publishing.notebook_problems(path)
        assert len(problems) == 1 and "TensorFlow log line" in problems[0] and "cell 1" in problems[0], line
    nb.cells[1].outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": lines[1]}, execution_count=1)]
    nbformat.write(nb, path)
    assert publishing.notebook_problems(path)


# --------------------------------------------------------------------------- Binder and pip


def test_environment_yml_is_what_binder_builds():
    """repo2docker reads name/channels/dependencies; a pip section with local references (-r, -e .) makes it
    copy the whole repository before installing, so `-r requirements.txt` and `-e .` resolve there."""
    import yaml

    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    assert isinstance(env, dict) and env.get("name") and env.get("channels")
    deps = env["dependencies"]
    strings = [d for d in deps if isinstance(d, str)]
    sections = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
    assert len(sections) == 1 and "pip" in strings, "dependencies need `pip` and one `pip:` list"
    python = [d for d in strings if re.fullmatch(r"python\s*=+\s*3\.\d+(\.\d+)?", d)]
    assert python, "pin python=3.X (repo2docker picks its base environment from it)"
    requires = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    assert python[0].split("=")[-1].startswith("3.1") and requires == ">=3.11"
    pip = sections[0]
    assert "-r requirements.txt" in pip and "-e ." in pip, pip  # the pins, and the package itself
    assert (REPO / "requirements.txt").is_file()


def test_package_ranges_admit_the_pins():
    """pyproject.toml's dependencies are ranges the exact pins in requirements.txt fall in (make installs both)."""
    from packaging.requirements import Requirement

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] == repo.PACKAGE_NAME
    pins = {}
    for line in (REPO / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            pins[req.name.lower()] = next(iter(req.specifier)).version  # ~=X.Y.Z: the pinned release
    ranges = [Requirement(d) for d in project["dependencies"]]
    assert {"numpy", "keras", "matplotlib", "scikit-learn", "scipy", "ipywidgets"} <= {r.name for r in ranges}
    for req in ranges:
        assert not any(s.operator in ("==", "~=", "===") for s in req.specifier), f"{req}: a range, not a pin"
        if req.name.lower() in pins:
            assert req.specifier.contains(pins[req.name.lower()]), f"{req} excludes the pinned {pins[req.name.lower()]}"
    assert not any(r.name.startswith("tensorflow") for r in ranges), (
        "TensorFlow is an extra: Colab has it, requirements.txt pins tensorflow-cpu"
    )
    extras = project["optional-dependencies"]
    assert Requirement(extras["tensorflow-cpu"][0]).specifier.contains(pins["tensorflow-cpu"])


def _png(width: int, height: int = 10) -> str:
    """A base64 PNG of the given size (white), as a notebook output stores it."""
    import base64
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (width, height), 255).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def _shaped_chapter(tmp_path: Path, name: str = "01_shaped.ipynb") -> Path:
    """A chapter with the closing sections, a short table and a narrow figure: it passes the shape check."""
    path = _notebook(tmp_path, name)
    nb = nbformat.read(path, as_version=4)
    nb.cells[3].outputs = [nbformat.v4.new_output("display_data", data={
        "text/markdown": "| a | b |\n|---|---|\n" + "| 1 | 2 |\n" * publishing.MAX_TABLE_ROWS,
        "image/png": _png(publishing.MAX_FIGURE_PIXELS)})]
    nb.cells += [nbformat.v4.new_markdown_cell(text) for text in (
        "## The answer\n\nYes, by 3 points.", "## References\n\n- [A paper](https://arxiv.org/abs/1312.6114)",
        "## Exercises\n\n1. Try it.\n2. Try again.")]
    nbformat.write(nb, path)
    return path


def test_chapter_check_passes_a_chapter_and_catches_each_problem(tmp_path):
    good = _shaped_chapter(tmp_path)
    assert publishing.chapter_problems(good) == []

    for section in publishing.CLOSING_SECTIONS:
        path = _shaped_chapter(tmp_path, f"02_no_{section.split()[-1].lower()}.ipynb")
        nb = nbformat.read(path, as_version=4)
        nb.cells = [c for c in nb.cells if section not in c.source]
        nbformat.write(nb, path)
        problems = publishing.chapter_problems(path)
        assert len(problems) == 1 and f"'{section}'" in problems[0], problems

    bad = _shaped_chapter(tmp_path, "03_bad.ipynb")
    nb = nbformat.read(bad, as_version=4)
    nb.cells[3].outputs = [
        nbformat.v4.new_output("display_data", data={
            "text/markdown": "| a |\n|---|\n" + "| 1 |\n" * (publishing.MAX_TABLE_ROWS + 1)}),
        nbformat.v4.new_output("display_data", data={
            "text/html": "<table><tr><th>a</th></tr>" + "<tr><td>1</td></tr>" * 20 + "</table>"}),
        nbformat.v4.new_output("display_data", data={"image/png": _png(publishing.MAX_FIGURE_PIXELS + 1)}),
        nbformat.v4.new_output("display_data", data={
            publishing.WIDGET_VIEW: {"model_id": "x", "version_major": 2, "version_minor": 0},
            "text/plain": "VBox(children=(HBox(children=(Dropdown(description='model'"}),
    ]
    nb.cells[2].source = "## Second slide\n\nThe seed's experiment, in the ten-minute budget."
    nbformat.write(nb, bad)
    problems = "\n".join(publishing.chapter_problems(bad))
    assert f"{publishing.MAX_TABLE_ROWS + 1} visible rows" in problems
    assert "20 visible rows" in problems
    assert f"{publishing.MAX_FIGURE_PIXELS + 1} px wide" in problems
    assert "raw widget repr" in problems
    assert "'The seed'" in problems and "name the source" in problems and "ten-minute budget" in problems


def test_chapter_check_counts_the_rows_of_all_its_tables(tmp_path):
    path = _shaped_chapter(tmp_path, "04_many_tables.ipynb")
    nb = nbformat.read(path, as_version=4)
    short = "| a |\n|---|\n" + "| 1 |\n" * publishing.MAX_TABLE_ROWS  # each table within the limit
    tables = publishing.MAX_CHAPTER_TABLE_ROWS // publishing.MAX_TABLE_ROWS + 1
    nb.cells[3].outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": short})
                           for _ in range(tables)]
    nbformat.write(nb, path)
    problems = publishing.chapter_problems(path)
    assert len(problems) == 1 and f"{tables * publishing.MAX_TABLE_ROWS} visible table rows in all" in problems[0]
    nb.cells[3].outputs = nb.cells[3].outputs[:-1]
    nbformat.write(nb, path)
    assert publishing.chapter_problems(path) == []


def test_table_rows_in_a_collapsed_block_or_code_are_not_visible():
    table = "| a |\n|---|\n" + "| 1 |\n" * 30
    assert publishing.markdown_table_rows(table) == [30]
    assert publishing.markdown_table_rows(f"<details><summary>all rows</summary>\n\n{table}\n</details>") == []
    assert publishing.markdown_table_rows(f"```\n{table}```") == []
    assert publishing.markdown_table_rows("| a | b |\n|---|---|\n| 1 | 2 |\n\ntext\n\n| c |\n|---|\n") == [1, 0]


def test_a_widget_with_a_plain_text_description_passes(tmp_path):
    path = _shaped_chapter(tmp_path)
    nb = nbformat.read(path, as_version=4)
    nb.cells[3].outputs.append(nbformat.v4.new_output("display_data", data={
        publishing.WIDGET_VIEW: {"model_id": "x", "version_major": 2, "version_minor": 0},
        "text/plain": "Latent-space explorer (needs a running kernel; the static figures below show the same moves)"}))
    nbformat.write(nb, path)
    assert publishing.chapter_problems(path) == []


def test_the_blog_post_may_be_named_and_a_random_seed_mentioned(tmp_path):
    path = _shaped_chapter(tmp_path)
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].source = ("## Second slide\n\nZ. Wang's 2018 blog post; `config.setup()` prints its random "
                          "seed, and each seed gives other samples.")
    nbformat.write(nb, path)
    assert publishing.chapter_problems(path) == []


def test_index_quotes_each_chapter_question_answer_prerequisites_and_times(tmp_path):
    path = _notebook(tmp_path, "05_moving.ipynb")
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source = ("# 05 · Moving digits\n\nDoes a 7 become a 0 along the 6 to 0 vector?\n\n"
                          "*Prerequisites:* notebooks 03 and 04,\nand the judge of notebook 06.\n\nMore text.")
    answer = nbformat.v4.new_code_cell("display(Markdown(...))")
    answer.metadata["tags"] = ["answer"]
    answer.metadata["slideshow"] = {"slide_type": "-"}
    answer.outputs = [nbformat.v4.new_output("display_data", data={
        "text/markdown": "No: 100% of the sevens stay 7s at alpha = 1.\n\nA second paragraph the index leaves."})]
    nb.cells.append(answer)
    nb.metadata["tutorial"] = {"run_seconds": 90.0, "measured": "2026-12-03"}
    nbformat.write(nb, path)
    text = "\n".join(cell.source for cell in publishing.index_notebook([path]).cells)
    assert "**Question.** Does a 7 become a 0 along the 6 to 0 vector?" in text
    assert "**Answer.** No: 100% of the sevens stay 7s at alpha = 1." in text
    assert "second paragraph" not in text
    assert "*Prerequisites:* notebooks 03 and 04, and the judge of notebook 06." in text  # the whole paragraph
    assert "*running:* 1.5 min" in text and "*Reading:* about 1 min" in text
    del nb.metadata["tutorial"]
    nb.cells.pop()
    nbformat.write(nb, path)
    text = "\n".join(cell.source for cell in publishing.index_notebook([path]).cells)
    assert "*running:* ? min" in text and "*(in the chapter's last section)*" in text


def test_make_run_records_each_chapter_run_time(tmp_path):
    path = tmp_path / "01_tiny.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nbformat.write(nb, path)
    run = run_notebooks.execute(path)
    recorded = nbformat.read(path, as_version=4).metadata["tutorial"]
    assert recorded["run_seconds"] == round(run.seconds, 1) and recorded["measured"]
@pytest.mark.parametrize("path", CHAPTERS, ids=_ids(CHAPTERS))
def test_chapter_has_the_shape_of_a_chapter(path: Path):
    """The answer, References and Exercises; short tables; figures a page wide; no raw widget repr; the
    blog post named, not called "the seed"; no project words (CONTRIBUTING.md, "A chapter")."""
    assert publishing.chapter_problems(path) == []


def test_the_series_shows_few_table_rows():
    rows = publishing.series_table_rows()
    assert rows < publishing.MAX_SERIES_TABLE_ROWS, f"{rows} visible table rows in the chapters together"


def test_a_partial_run_keeps_the_recorded_run_time(tmp_path):
    """Re-running a chapter on cached models must not replace the from-empty time the index quotes."""
    path = tmp_path / "01_tiny.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["tutorial"] = {"run_seconds": 145.1, "measured": "2026-12-05"}
    nbformat.write(nb, path)
    run_notebooks.execute(path, record_time=False)
    assert nbformat.read(path, as_version=4).metadata["tutorial"] == {"run_seconds": 145.1, "measured": "2026-12-05"}
    run = run_notebooks.execute(path)
    assert nbformat.read(path, as_version=4).metadata["tutorial"]["run_seconds"] == round(run.seconds, 1)

