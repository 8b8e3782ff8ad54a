"""Execute every numbered notebook in full mode, in place, then clean it.

``make run`` calls this. Each notebook runs top to bottom in a fresh kernel
with ``TUTORIAL_QUICK`` unset; outputs are kept (nbviewer shows them) and
volatile metadata (execution timestamps, saved widget state, cell ids) is
stripped by nbstripout. Wall times go to ``artifacts/run_times-full.json``
for the benchmark table. Afterwards the table of contents
(``notebooks/00_index.ipynb``) and the README's notebook table are regenerated
from the notebooks' title cells (``tools.publishing``); the index itself is
not executed.

    python -m tools.run_notebooks            # all notebooks
    python -m tools.run_notebooks 03 05      # only those whose names start so
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from tools import publishing, repo

REPO = repo.REPO
NOTEBOOKS = repo.NOTEBOOK_DIR


def numbered_notebooks(prefixes: list[str] | None = None) -> list[Path]:
    """The chapters (01_..., not the generated 00_index), optionally only those starting with PREFIXES."""
    paths = repo.content_notebooks(NOTEBOOKS)
    if prefixes:
        paths = [p for p in paths if any(p.name.startswith(x) for x in prefixes)]
    return paths


def clean(path: Path) -> None:
    """Strip volatile metadata but keep outputs (the standard tool, nbstripout).

    The flags are the ones tests/test_publishing.py verifies committed notebooks with.
    """
    subprocess.run(
        [sys.executable, "-m", "nbstripout", *publishing.NBSTRIPOUT_FLAGS, str(path)],
        check=True, stdin=subprocess.DEVNULL,
    )


def execute(path: Path, timeout: int = 3600) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    seconds = time.perf_counter() - start
    # the table of contents quotes it (tools.publishing): measured here, in full mode
    nb.metadata["tutorial"] = {"run_seconds": round(seconds, 1), "measured": time.strftime("%Y-%m-%d")}
    nbformat.write(nb, path)
    clean(path)
    return seconds


def main(argv: list[str]) -> int:
    os.environ.pop("TUTORIAL_QUICK", None)  # full mode: the committed outputs
    sys.path.insert(0, str(REPO))
    from helpers import cache

    times = {}
    total_start = time.perf_counter()
    for path in numbered_notebooks(argv or None):
        print(f"running {path.name} ...", flush=True)
        times[path.name] = execute(path)
        size_mb = path.stat().st_size / 1e6
        print(f"  {times[path.name]:.1f} s, {size_mb:.2f} MB", flush=True)
        for problem in publishing.notebook_problems(path):
            print(f"  warning: {problem}", flush=True)
    total = time.perf_counter() - total_start
    print(f"all notebooks: {total:.1f} s")
    if not argv:
        cache.save_json(
            cache.artifact_path("run_times", ".json", mode="full"),
            {"notebooks": times, "total_seconds": total, "measured": time.strftime("%Y-%m-%d")},
        )
    changed = publishing.write_all()
    if changed:
        print("regenerated " + ", ".join(changed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
