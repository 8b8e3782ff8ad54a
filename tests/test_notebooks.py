"""Every numbered notebook executes top to bottom in quick mode, and again.

The second pass re-executes every cell in the same kernel, as a reader does who
re-runs cells: a notebook that only works once (a cell that mutates its own
inputs, a layer built twice under the same name, a file opened for exclusive
writing...) fails here. Cached models make the second pass cheap.

Run from a temporary working directory, which checks that notebooks find data
and artifacts through the package rather than the current folder.
"""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from conftest import REPO, real_mnist_path

NOTEBOOKS = sorted(
    p for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb") if not p.name.startswith("00_")
)


def _errors(nb) -> list:
    return [
        out for cell in nb.cells if cell.cell_type == "code"
        for out in cell.get("outputs", []) if out.output_type == "error"
    ]


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_quick_mode_twice(path: Path, tmp_path, monkeypatch):
    monkeypatch.setenv("TUTORIAL_QUICK", "1")
    mnist = real_mnist_path()
    if mnist is not None:
        monkeypatch.setenv("MNIST_NPZ", str(mnist))
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    times = {}
    with client.setup_kernel():  # one kernel for both passes
        for run in ("first run (fresh kernel)", "second run (same kernel, every cell again)"):
            start = time.perf_counter()
            try:
                client.execute(cleanup_kc=False)
            except CellExecutionError as err:
                pytest.fail(f"{path.name}, {run}:\n{err}", pytrace=False)
            times[run] = time.perf_counter() - start
            errors = _errors(nb)
            assert not errors, f"{path.name}, {run}: {errors}"
    print(f"{path.name}: " + ", ".join(f"{k.split(' (')[0]} {v:.1f} s" for k, v in times.items()))


def test_there_are_notebooks():
    assert NOTEBOOKS, "no numbered notebooks found in notebooks/"
