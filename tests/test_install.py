"""The package installed without a checkout (as in Colab) runs a notebook, and keeps its models out of site-packages.

- ``artifacts_dir``: ``TUTORIAL_ARTIFACTS`` when set (a file there is a clear error);
  ``artifacts/`` in a checkout; else the per-user cache folder (``$XDG_CACHE_HOME``).
- End to end, as a Colab reader gets it: a fresh virtual environment without ``helpers``;
  a kernel of that environment runs the chapters' bootstrap (tools.publishing), which
  pip-installs the package from a zip archive of this repository laid out as GitHub's
  (offline: ``PIP_NO_INDEX``, and the dependencies must already be satisfied, which also
  checks pyproject.toml's ranges); then notebook 02 runs in quick mode from a temporary
  folder, with ``HOME`` and ``XDG_CACHE_HOME`` in a temporary folder and
  ``TUTORIAL_ARTIFACTS`` unset. Its model must land in the per-user cache, nothing in
  site-packages, and ``helpers`` must come from the fresh install.

The fresh environment sees the project environment's packages (TensorFlow & co, so
nothing is downloaded) through a ``.pth`` line after its own site-packages. Not
``--system-site-packages``: from a venv that means the base interpreter's packages, not
the venv's. A ``.pth`` path line does not run the project environment's own ``.pth``
files, so its editable ``helpers`` stays out of sight. About 40 s on 2 cores.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from conftest import REPO, real_mnist_path
from helpers import config

if str(REPO) not in sys.path:  # tools/ is not an installed package
    sys.path.insert(0, str(REPO))

from tools import publishing, repo  # noqa: E402

NOTEBOOK = REPO / "notebooks" / "02_naive_bayes_sampling.ipynb"  # the quickest chapter that trains and caches
KERNEL = "fresh-install"


# --------------------------------------------------------------------------- artifacts_dir, unit


@pytest.fixture
def installed_layout(tmp_path, monkeypatch):
    """helpers.config as if the package sat in site-packages: no pyproject.toml beside it."""
    site = tmp_path / "site-packages"
    (site / "helpers").mkdir(parents=True)
    monkeypatch.setattr(config, "PACKAGE_DIR", site / "helpers")
    monkeypatch.setattr(config, "REPO_DIR", site)
    monkeypatch.delenv("TUTORIAL_ARTIFACTS", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return site


def test_installed_package_caches_models_in_the_user_cache(installed_layout, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert config.artifacts_dir() == tmp_path / "xdg" / "generative-tutorials"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert config.artifacts_dir() == tmp_path / "home" / ".cache" / "generative-tutorials"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")  # not absolute: ignored, as the XDG spec says
    assert config.artifacts_dir() == tmp_path / "home" / ".cache" / "generative-tutorials"
    assert not (installed_layout / "artifacts").exists()


def test_override_wins_in_any_layout(installed_layout, tmp_path, monkeypatch):
    monkeypatch.setenv("TUTORIAL_ARTIFACTS", str(tmp_path / "mine"))
    assert config.artifacts_dir() == tmp_path / "mine"


def test_checkout_keeps_artifacts_beside_the_package(monkeypatch):
    monkeypatch.delenv("TUTORIAL_ARTIFACTS", raising=False)
    assert config._in_checkout()
    assert config.artifacts_dir() == REPO / "artifacts"


def test_a_file_as_artifacts_folder_is_a_clear_error(tmp_path, monkeypatch):
    target = tmp_path / "models.txt"
    target.write_text("not a folder")
    monkeypatch.setenv("TUTORIAL_ARTIFACTS", str(target))
    with pytest.raises(ValueError, match=r"TUTORIAL_ARTIFACTS=.*is a file, not a folder"):
        config.artifacts_dir()


# --------------------------------------------------------------------------- a fresh environment, end to end


def _run(*cmd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=600, **kw)


def github_like_archive(folder: Path) -> Path:
    """This working tree's package as GitHub's archive of a branch: one top folder, pyproject.toml, the packages."""
    packages = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"]
    top = f"{REPO.name}-{repo.BRANCH}"
    archive = folder / f"{repo.BRANCH}.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(REPO / "pyproject.toml", f"{top}/pyproject.toml")
        for package in packages:
            for path in sorted((REPO / package).rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    zf.write(path, f"{top}/{path.relative_to(REPO)}")
    return archive


def fresh_venv(folder: Path) -> tuple[Path, Path]:
    """A new virtual environment (python, site-packages) that sees the project's packages but not helpers."""
    proc = _run(sys.executable, "-m", "venv", folder)
    assert proc.returncode == 0, proc.stderr
    python = folder / "bin" / "python"
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    (site / "zz_project_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    probe = _run(python, "-c", "import helpers", cwd=folder)
    assert "No module named 'helpers'" in probe.stderr, (
        f"the fresh environment already imports helpers, so the test would prove nothing: {probe}"
    )
    return python, site


def _kernel(python: Path, jupyter_path: Path) -> None:
    spec = {"argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python (fresh install)", "language": "python"}
    folder = jupyter_path / "kernels" / KERNEL
    folder.mkdir(parents=True)
    (folder / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")


def _execute(nb, cwd: Path) -> None:
    client = NotebookClient(nb, timeout=600, kernel_name=KERNEL, resources={"metadata": {"path": str(cwd)}})
    try:
        client.execute()
    except CellExecutionError as err:
        pytest.fail(f"in the fresh environment:\n{err}", pytrace=False)


def _stdout(nb) -> str:
    return "".join(out.get("text", "") for cell in nb.cells for out in cell.get("outputs", [])
                   if out.output_type == "stream")


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


@pytest.mark.install
def test_quick_notebook_runs_from_a_non_editable_install(tmp_path, monkeypatch):
    mnist = real_mnist_path()
    if mnist is None and not config.in_ci():
        pytest.skip("no offline MNIST: set MNIST_NPZ=/path/to/mnist.npz")
    python, site = fresh_venv(tmp_path / "venv")
    archive = github_like_archive(tmp_path)
    home, work, jupyter = tmp_path / "home", tmp_path / "work", tmp_path / "jupyter"
    home.mkdir()
    work.mkdir()
    _kernel(python, jupyter)
    cache = home / ".cache" / "generative-tutorials"

    # The kernels inherit this: a reader's machine, offline pip, no checkout on any path.
    for name in ("TUTORIAL_ARTIFACTS", "PYTHONPATH", "TF_CPP_MIN_LOG_LEVEL", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("JUPYTER_PATH", str(jupyter))
    monkeypatch.setenv("TUTORIAL_QUICK", "1")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_NO_BUILD_ISOLATION", "0")  # pip reads this inverted: "0" turns isolation off
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    if mnist is not None:
        monkeypatch.setenv("MNIST_NPZ", str(mnist))

    # 1. The chapters' bootstrap installs the package, as in Colab (from a local archive, not GitHub),
    #    and the same cell goes on importing it, as every chapter's first cell does.
    where = "import helpers, helpers.config\nprint('helpers at', helpers.__file__)\nprint('artifacts at', helpers.config.artifacts_dir())"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(publishing.bootstrap_source(None, archive=archive.as_uri()) + "\n\n" + where)]
    _execute(nb, work)
    said = _stdout(nb)
    assert f"Installing the series' helpers package from {archive.as_uri()}" in said, said
    installed = site / "helpers" / "__init__.py"
    assert f"helpers at {installed}" in said, f"helpers does not come from the fresh install: {said}"
    assert f"artifacts at {cache}" in said, said
    package_files = _files(site / "helpers")
    assert package_files >= _files(REPO / "helpers"), "the install lacks files of the package"

    # 2. A chapter in quick mode, from another folder, with the installed package.
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(where))
    _execute(nb, work)
    said = _stdout(nb)
    assert f"helpers at {installed}" in said and f"artifacts at {cache}" in said, said
    assert publishing.log_lines(nb) == [], "TensorFlow log lines in the outputs"
    landed = _files(cache)
    assert any(name.endswith(f"-quick{Path(name).suffix}") for name in landed), f"no quick model cached: {landed}"
    assert _files(site / "helpers") == package_files, "the notebook wrote into site-packages"
    assert not list(site.glob("artifacts*")) and not (tmp_path / "venv" / "artifacts").exists()
    assert not cache.is_relative_to(REPO)
    assert not list(work.iterdir()), f"the notebook wrote into its working folder: {list(work.iterdir())}"
