"""Every numbered notebook executes top to bottom in quick mode.

Run from a temporary working directory, which checks that notebooks find data
and artifacts through the package rather than the current folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import REPO, real_mnist_path

NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_quick_mode(path: Path, tmp_path, monkeypatch):
    monkeypatch.setenv("TUTORIAL_QUICK", "1")
    mnist = real_mnist_path()
    if mnist is not None:
        monkeypatch.setenv("MNIST_NPZ", str(mnist))
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    errors = [
        out for cell in nb.cells if cell.cell_type == "code"
        for out in cell.get("outputs", []) if out.output_type == "error"
    ]
    assert not errors, errors


def test_there_are_notebooks():
    assert NOTEBOOKS, "no numbered notebooks found in notebooks/"
