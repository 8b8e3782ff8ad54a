"""Where the series is published: the one place that names the GitHub repository.

``REPO_SLUG`` is the only copy of the repository's ``owner/name``. The README's
notebook table and ``notebooks/00_index.ipynb`` are generated from it by
``python -m tools.publishing`` (also run at the end of ``make run``); after
changing it, run that once and commit the two regenerated files.
"""

from __future__ import annotations

import json
from pathlib import Path

#: GitHub ``owner/name`` of this repository. Placeholder until the repository is published.
REPO_SLUG = "OWNER/generative-tutorials"
#: The branch whose committed notebooks nbviewer shows.
BRANCH = "main"

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = REPO / "notebooks"
INDEX_NAME = "00_index.ipynb"
INDEX = NOTEBOOK_DIR / INDEX_NAME


def content_notebooks(folder: Path = NOTEBOOK_DIR) -> list[Path]:
    """The numbered chapters (``01_*.ipynb`` ...), in reading order; not the ``00_`` index."""
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb") if not p.name.startswith("00_"))


def all_notebooks(folder: Path = NOTEBOOK_DIR) -> list[Path]:
    """Every committed notebook: the index (when present) and the chapters."""
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def notebook_title(path: Path) -> str | None:
    """The text of the first ``# `` heading in the notebook's first markdown cell, or None."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        for line in source.splitlines():
            if line.startswith("# "):
                return line[2:].strip().strip("#").strip() or None
        return None
    return None


def repo_path(path: Path) -> str:
    """``notebooks/03_vae.ipynb``: where a notebook of the series is published, from the repository root."""
    return f"{NOTEBOOK_DIR.name}/{Path(path).name}"


def github_url(path: Path, slug: str = REPO_SLUG, branch: str = BRANCH) -> str:
    return f"https://github.com/{slug}/blob/{branch}/{repo_path(path)}"


def nbviewer_url(path: Path, slug: str = REPO_SLUG, branch: str = BRANCH) -> str:
    return f"https://nbviewer.org/github/{slug}/blob/{branch}/{repo_path(path)}"


def nbviewer_folder_url(slug: str = REPO_SLUG, branch: str = BRANCH) -> str:
    return f"https://nbviewer.org/github/{slug}/tree/{branch}/notebooks/"
