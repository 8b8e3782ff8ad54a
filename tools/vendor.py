"""The browser assets of the offline pages and decks, installed from npm into ``build/vendor/``.

reveal.js, MathJax 2 (the API nbconvert's templates call), require.js, jQuery
and Font Awesome (the icons of matplotlib's animation player) are pinned in
``package.json`` / ``package-lock.json`` at the repository root. ``ensure()``
copies both files to ``build/vendor/`` and runs ``npm ci`` there when the
installed copy is missing or was made from another lockfile; a file lock keeps
two test workers (or ``make`` and a test) from installing at the same time.

    python -m tools.vendor        # install or check (make vendor)
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from tools.repo import REPO

BUILD = REPO / "build"
VENDOR = BUILD / "vendor"
MODULES = VENDOR / "node_modules"
STAMP = VENDOR / ".installed"
MANIFESTS = ("package.json", "package-lock.json")

#: Files the pages load, relative to node_modules (checked after installing).
ASSETS = {
    "reveal": "reveal.js/dist/reveal.js",
    "reveal_notes": "reveal.js/plugin/notes/notes.js",
    "reveal_theme": "reveal.js/dist/theme/white.css",
    "mathjax": "mathjax/MathJax.js",
    "mathjax_config": "mathjax/config/TeX-AMS_CHTML-full.js",
    "requirejs": "requirejs/require.js",
    "jquery": "jquery/dist/jquery.min.js",
    "font_awesome": "font-awesome/css/font-awesome.min.css",
}

INSTALL_HINT = "install Node.js and npm (Debian/Ubuntu: sudo apt-get install npm)"


class VendorError(RuntimeError):
    """The assets could not be installed (no npm, no registry, a broken package)."""


def _digest() -> str:
    h = hashlib.sha256()
    for name in MANIFESTS:
        h.update((REPO / name).read_bytes())
    return h.hexdigest()


def is_current() -> bool:
    try:
        stamp = STAMP.read_text().strip()
    except OSError:
        return False
    return stamp == _digest() and all((MODULES / rel).is_file() for rel in ASSETS.values())


@contextmanager
def _install_lock():
    BUILD.mkdir(parents=True, exist_ok=True)
    with open(BUILD / ".vendor.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure(*, quiet: bool = True) -> Path:
    """Install the pinned assets into build/vendor when needed; the node_modules folder."""
    if is_current():
        return MODULES
    with _install_lock():
        if is_current():  # another process installed them while we waited
            return MODULES
        npm = shutil.which("npm")
        if npm is None:
            raise VendorError(f"npm not found: {INSTALL_HINT}")
        VENDOR.mkdir(parents=True, exist_ok=True)
        STAMP.unlink(missing_ok=True)
        for name in MANIFESTS:
            shutil.copyfile(REPO / name, VENDOR / name)
        cmd = [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
        if not quiet:
            print(f"installing browser assets into {VENDOR.relative_to(REPO)}: {' '.join(cmd[1:])}", flush=True)
        proc = subprocess.run(cmd, cwd=VENDOR, capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            raise VendorError(f"npm ci failed in {VENDOR}:\n{proc.stdout}\n{proc.stderr}".strip())
        missing = [rel for rel in ASSETS.values() if not (MODULES / rel).is_file()]
        if missing:
            raise VendorError(f"npm ci did not install {', '.join(missing)}")
        STAMP.write_text(_digest() + "\n")
    return MODULES


def main() -> int:
    try:
        modules = ensure(quiet=False)
    except VendorError as err:
        print(err, file=sys.stderr)
        return 1
    print(f"browser assets ready in {modules.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
