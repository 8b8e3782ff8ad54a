"""The offline pages hide what a chapter marks as checking, not teaching: the claim cells' code."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest

from conftest import REPO

if str(REPO) not in sys.path:  # tools/ is not an installed package
    sys.path.insert(0, str(REPO))

from tools import export  # noqa: E402


@pytest.mark.parametrize("kind", ["html", "slides"])  # slides hide all code unless asked; html shows it
def test_claim_checks_are_hidden_and_the_rest_is_shown(tmp_path, kind):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# A chapter"),
                nbformat.v4.new_code_cell("assert 0.9 > 0.5, 'claim-check-code'"),
                nbformat.v4.new_code_cell("teaching_code = 1")]
    nb.cells[1].metadata["tags"] = [export.CLAIM_TAG]
    nb.cells[2].metadata["tags"] = ["slide-code"]  # the slide export hides code unless asked
    for cell in nb.cells:
        cell.metadata["slideshow"] = {"slide_type": "slide"}
    path = tmp_path / "01_chapter.ipynb"
    nbformat.write(nb, path)
    subprocess.run(export.nbconvert_command(kind, [path], tmp_path), check=True, cwd=REPO, capture_output=True)
    page = tmp_path / (path.stem + export.SUFFIXES[kind])
    text = page.read_text(encoding="utf-8")
    assert "claim-check-code" not in text
    assert "teaching_code" in text
