"""Compatibility environments: the series on Colab's versions and on the declared lowest versions (issue 19).

    python -m tools.compat_env colab                  # build (or reuse) the environment, then check it
    python -m tools.compat_env minimum
    python -m tools.compat_env colab --build-only     # e.g. outside the CPU lock: downloads
    python -m tools.compat_env colab --check-only 01 03   # only notebooks starting so
    python -m tools.compat_env refresh pip-freeze.txt  # a newer Colab freeze into constraints/colab.txt

``.ci/run`` runs both; each exits 1 when anything fails. An environment is a
virtual environment under ``--venvs`` (default ``$COMPAT_VENVS``, else
``build/compat/``) built from its constraints file:

1. Python: Colab's 3.13 for ``colab``, 3.11 (pyproject's ``requires-python``) for
   ``minimum``; found on PATH or under ``~/.pyenv/versions``. Where it is missing,
   this interpreter is used with the same package versions, and the script says so.
2. ``pip install -r constraints/NAME.txt``: Colab's runtime, or the lowest versions.
3. ``helpers`` installed as the chapter bootstrap installs it
   (``pip install "generative-tutorials-helpers @ <a copy of this checkout>"``: plain pip,
   dependencies resolved against what is there). If that changes a version the
   constraints file pins, the build fails: in Colab the bootstrap would replace
   Colab's package (pyproject.toml's range excludes it).
4. Test tools the file does not pin, under its constraints.

Then the checks, each failing the run:

- every numbered notebook (a glob, so new chapters are included) in quick mode, in a
  fresh kernel of the environment started from a temporary folder, with an empty
  temporary artifacts folder (models are trained there, as on a first run): no
  error and no TensorFlow/CUDA log line in any output (``tools.run_notebooks --check``);
- pytest in the environment on the tests that need no browser: the explorer's
  (``tests/test_widgets*.py``, ``tests/test_*explorer*.py``), tensorflow_log's,
  tests/test_compat.py, and the environment's own extra files.

A built environment is reused while its constraints file, pyproject.toml and
Python are unchanged (a stamp file in it); ``helpers`` is reinstalled (without
dependencies) on every run so that the checks see this checkout's code.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CONSTRAINTS = REPO / "constraints"
PACKAGE = "generative-tutorials-helpers"
#: Bumped when the build steps change, so that old environments are rebuilt.
BUILD_VERSION = "1"
#: Tests that need no browser, run in every environment (globs, relative to the repository).
COMMON_TESTS = ("tests/test_compat.py", "tests/test_tensorflow_log.py", "tests/test_widgets*.py",
                "tests/test_*explorer*.py")
MARKS = "not browser and not notebook and not install"


@dataclass(frozen=True)
class Environment:
    name: str
    python: str  # the X.Y version wanted
    why_python: str
    tools: tuple[str, ...] = ()  # installed under the constraints (test tools the file does not pin)
    tests: tuple[str, ...] = ()  # extra pytest globs
    env: dict = field(default_factory=dict)  # extra environment for the checks

    @property
    def constraints(self) -> Path:
        return CONSTRAINTS / f"{self.name}.txt"


ENVIRONMENTS = {
    "colab": Environment(
        "colab", "3.13", "Colab's Python",
        tools=("nbclient", "pytest"),
        # Colab's full tensorflow wheel logs a cuInit failure on a machine without a GPU:
        # tests/test_tensorflow_log.py then checks that the control really printed it.
        env={"COMPAT_ENVIRONMENT": "colab"},
    ),
    "minimum": Environment(
        "minimum", "3.11", "pyproject.toml's requires-python",
        tools=("ipykernel", "nbclient", "nbconvert", "pytest"),
        tests=("tests/test_morphometry.py",),  # scikit-image's thinning loop sits elsewhere in 0.24
        env={"COMPAT_ENVIRONMENT": "minimum"},
    ),
}


class CompatError(RuntimeError):
    """The environment could not be built or a check failed; the message says which."""


def say(text: str) -> None:
    print(f"[compat] {text}", flush=True)


# --------------------------------------------------------------------------- constraints files

REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s#;]+)")


def normalized(name: str) -> str:
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    """``{normalized name: version}`` of the ``name==version`` lines of a requirements/constraints file."""
    found = {}
    for line in path.read_text().splitlines():
        m = REQUIREMENT.match(line)
        if m:
            found[normalized(m.group(1))] = m.group(2)
    return found


def refresh(constraints: Path, freeze: Path) -> list[str]:
    """Rewrite the versions pinned in CONSTRAINTS with those of a ``pip freeze`` file; what changed."""
    new = pins(freeze)
    lines, changes = [], []
    for line in constraints.read_text().splitlines():
        m = REQUIREMENT.match(line)
        if m and normalized(m.group(1)) in new and new[normalized(m.group(1))] != m.group(2):
            version = new[normalized(m.group(1))]
            changes.append(f"{m.group(1)} {m.group(2)} -> {version}")
            line = f"{m.group(1)}=={version}"
        elif m and normalized(m.group(1)) not in new:
            changes.append(f"{m.group(1)} is not in {freeze.name}: left at {m.group(2)} (remove it?)")
        lines.append(line)
    constraints.write_text("\n".join(lines) + "\n")
    return changes


# --------------------------------------------------------------------------- the interpreter


def _python_version(executable: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run([executable, "-c", "import sys; print(*sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None  # e.g. a pyenv shim for a version that is not active
    major, minor = out.stdout.split()
    return int(major), int(minor)


def find_python(version: str) -> str | None:
    """An interpreter of VERSION ("3.13"): ``pythonX.Y`` on PATH, else the newest under ~/.pyenv/versions."""
    wanted = tuple(int(p) for p in version.split("."))
    candidates = [shutil.which(f"python{version}")]
    pyenv = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    found = glob.glob(os.path.join(pyenv, "versions", f"{version}.*", "bin", f"python{version}"))
    candidates += sorted(found, key=lambda p: [int(x) if x.isdigit() else 0 for x in
                                               Path(p).parent.parent.name.split(".")], reverse=True)
    for candidate in candidates:
        if candidate and _python_version(candidate) == wanted:
            return candidate
    return None


def choose_python(env: Environment, override: str | None) -> tuple[str, str | None]:
    """The interpreter for ENV, and a note to print when it is not the wanted version."""
    if override:
        return override, None
    found = find_python(env.python)
    if found:
        return found, None
    fallback = shutil.which("python3") or sys.executable
    got = _python_version(fallback)
    shown = ".".join(map(str, got)) if got else "?"
    return fallback, (f"NOTE: python{env.python} ({env.why_python}) was not found on PATH or under ~/.pyenv; "
                      f"building {env.name} with {fallback} (Python {shown}) and {env.constraints.name}'s "
                      "package versions instead")


# --------------------------------------------------------------------------- building


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, **kwargs)
    if proc.returncode != 0:
        raise CompatError(f"command failed (exit {proc.returncode}): {' '.join(map(str, cmd))}")
    return proc


def _pip(venv: Path, *args: str) -> None:
    _run([str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", *args])


def installed(venv: Path) -> dict[str, str]:
    """``{normalized name: version}`` of every distribution in VENV."""
    code = ("import importlib.metadata as m, json; "
            "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))")
    out = _run([str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True).stdout
    return {normalized(k): v for k, v in json.loads(out).items() if k}


def changed_pins(env: Environment, before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Pinned packages whose version differs after a step (or from the pin): what the step replaced."""
    pinned = pins(env.constraints)
    return [f"{name} {before.get(name, pinned[name])} -> {after.get(name, 'removed')}"
            for name in sorted(pinned) if name in before and after.get(name) != before[name]]


def stamp_text(env: Environment, python: str) -> str:
    digest = hashlib.sha256()
    for path in (env.constraints, REPO / "pyproject.toml"):
        digest.update(path.read_bytes())
    digest.update(f"{BUILD_VERSION} {python} {_python_version(python)} {env.tools}".encode())
    return digest.hexdigest()


#: Not copied into the package's source snapshot: outputs, environments, caches.
SNAPSHOT_IGNORE = shutil.ignore_patterns(".git", ".venv", "build", "artifacts", "test-artifacts", "node_modules",
                                         "*.egg-info", "__pycache__", ".pytest_cache", ".ipynb_checkpoints")


@contextlib.contextmanager
def package_requirement():
    """The bootstrap's requirement, ``NAME @ <archive>``, for a snapshot of this checkout.

    A copy, as GitHub's archive of a branch is one: a build inside the checkout
    reuses setuptools' ``build/`` folder, which can keep files older than the code.
    """
    with tempfile.TemporaryDirectory(prefix="helpers-archive-") as folder:
        snapshot = Path(folder) / f"{REPO.name}-snapshot"
        shutil.copytree(REPO, snapshot, ignore=SNAPSHOT_IGNORE)
        yield f"{PACKAGE} @ {snapshot.as_uri()}"


def reinstall_helpers(venv: Path) -> None:
    """This checkout's helpers into VENV again, without touching its dependencies."""
    with package_requirement() as requirement:
        _pip(venv, "install", "--quiet", "--no-deps", "--force-reinstall", requirement)


def build(env: Environment, venv: Path, python: str) -> float:
    """Create or reuse VENV for ENV; the seconds it took. Raises CompatError when a step fails."""
    start = time.perf_counter()
    stamp = venv / ".compat-stamp"
    wanted = stamp_text(env, python)
    if stamp.is_file() and stamp.read_text() == wanted and (venv / "bin" / "python").exists():
        say(f"reusing {venv} (constraints, pyproject.toml and Python unchanged); reinstalling helpers only")
        reinstall_helpers(venv)
        return time.perf_counter() - start
    if venv.exists():
        shutil.rmtree(venv)
    say(f"creating {venv} with {python}")
    _run([python, "-m", "venv", str(venv)])
    say(f"installing {env.constraints.relative_to(REPO)}")
    _pip(venv, "install", "--quiet", "-r", str(env.constraints))
    before = installed(venv)
    missing = sorted(set(pins(env.constraints)) - set(before))
    if env.name == "minimum" and missing:  # every floor must be installed as written
        raise CompatError(f"not installed from {env.constraints.name}: {missing}")
    with package_requirement() as requirement:
        say(f'installing helpers as the chapter bootstrap does: pip install "{requirement}"')
        _pip(venv, "install", "--quiet", requirement)
    after = installed(venv)
    replaced = changed_pins(env, before, after)
    if replaced:
        raise CompatError(
            f"installing helpers the bootstrap's way changed {env.name}'s versions: {', '.join(replaced)}. "
            f"pyproject.toml's ranges must admit every version in {env.constraints.name} (or raise a floor on "
            "purpose and say so to the reader)")
    if env.tools:
        say(f"installing test tools under the constraints: {' '.join(env.tools)}")
        _pip(venv, "install", "--quiet", "-c", str(env.constraints), *env.tools)
        replaced = changed_pins(env, before, installed(venv))
        if replaced:
            raise CompatError(f"installing the test tools changed pinned versions: {', '.join(replaced)}")
    stamp.write_text(wanted)
    return time.perf_counter() - start


# --------------------------------------------------------------------------- checking


def check_env() -> dict[str, str]:
    """The environment for the checks: no PYTHONPATH (kernels must import the installed helpers)."""
    return {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "TUTORIAL_QUICK", "TUTORIAL_ARTIFACTS"}}


def describe(venv: Path) -> str:
    """Python and the versions that matter, as the environment reports them."""
    code = ("import sys, importlib.metadata as m\n"
            "names = ['tensorflow', 'tensorflow-cpu', 'keras', 'numpy', 'scipy', 'scikit-learn', 'scikit-image',\n"
            "         'matplotlib', 'pillow', 'ipywidgets', 'ipykernel', 'ipython', 'anywidget']\n"
            "found = []\n"
            "for n in names:\n"
            "    try: found.append(f'{n} {m.version(n)}')\n"
            "    except m.PackageNotFoundError: pass\n"
            "print('Python ' + sys.version.split()[0] + ', ' + ', '.join(found))\n")
    return _run([str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True).stdout.strip()


def installed_helpers_location(venv: Path) -> Path:
    """Where ``import helpers`` resolves in VENV from a folder outside the checkout (site-packages, not here)."""
    with tempfile.TemporaryDirectory() as folder:
        out = _run([str(venv / "bin" / "python"), "-c", "import helpers; print(helpers.__file__)"],
                   capture_output=True, text=True, cwd=folder, env=check_env()).stdout.strip()
    return Path(out)


def test_files(env: Environment) -> list[str]:
    files = []
    for pattern in COMMON_TESTS + env.tests:
        files += sorted(str(Path(p).relative_to(REPO)) for p in REPO.glob(pattern))
    return list(dict.fromkeys(files))


def run_checks(env: Environment, venv: Path, prefixes: list[str], results: Path) -> dict[str, float]:
    """The notebooks in quick mode, then pytest; seconds of each. Raises CompatError naming what failed."""
    python = str(venv / "bin" / "python")
    where = installed_helpers_location(venv)
    if venv.resolve() not in where.resolve().parents:
        # The environments may live inside the checkout (build/compat): what matters is the venv's site-packages.
        raise CompatError(f"helpers imports from {where}, not from the environment's site-packages ({venv})")
    say(f"helpers imports from {where.parent}")
    times = {}
    failures = []
    with tempfile.TemporaryDirectory(prefix=f"compat-{env.name}-artifacts-") as artifacts:
        environ = check_env() | env.env | {"TUTORIAL_ARTIFACTS": artifacts}
        say("every notebook in quick mode, a fresh kernel each, models trained into an empty artifacts folder")
        start = time.perf_counter()
        proc = subprocess.run([python, "-m", "tools.run_notebooks", "--check", "--quick", "--json", str(results),
                               *prefixes], cwd=REPO, env=environ, stdin=subprocess.DEVNULL)
        times["notebooks"] = time.perf_counter() - start
        if proc.returncode != 0:
            failures.append(f"notebooks (exit {proc.returncode})")
        elif results.is_file():
            record = json.loads(results.read_text())
            strays = {name: r["kernel_python"] for name, r in record["notebooks"].items()
                      if r["kernel_python"] and Path(r["kernel_python"]) != Path(python)}
            if strays:
                failures.append(f"kernels ran another interpreter than {python}: {strays}")
    if not prefixes:
        files = test_files(env)
        say(f"pytest -m '{MARKS}' {' '.join(files)}")
        start = time.perf_counter()
        proc = subprocess.run([python, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-m", MARKS, *files],
                              cwd=REPO, env=check_env() | env.env, stdin=subprocess.DEVNULL)
        times["tests"] = time.perf_counter() - start
        if proc.returncode != 0:  # 5: no test collected, a failure too
            failures.append(f"pytest (exit {proc.returncode})")
    if failures:
        raise CompatError(f"{env.name}: " + "; ".join(failures))
    return times


# --------------------------------------------------------------------------- command line


def default_venvs() -> Path:
    return Path(os.environ.get("COMPAT_VENVS") or REPO / "build" / "compat")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.compat_env", description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=[*ENVIRONMENTS, "refresh"], help="an environment, or refresh")
    parser.add_argument("rest", nargs="*", help="notebook prefixes to check (default: all); for refresh, "
                                                "the pip-freeze.txt of a newer Colab runtime")
    parser.add_argument("--venvs", type=Path, default=None, help="folder of the environments "
                                                                  "(default $COMPAT_VENVS, else build/compat)")
    parser.add_argument("--python", help="the interpreter to build with (default: found, see above)")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--check-only", action="store_true",
                        help="use the environment as built (helpers alone is reinstalled)")
    args = parser.parse_intermixed_args(argv)

    if args.name == "refresh":
        if len(args.rest) != 1:
            parser.error("refresh takes one argument: the path of Colab's pip-freeze.txt")
        for change in refresh(CONSTRAINTS / "colab.txt", Path(args.rest[0])):
            say(change)
        say("update the source commit and date in the header of constraints/colab.txt, then run "
            "python -m tools.compat_env colab")
        return 0

    env = ENVIRONMENTS[args.name]
    venv = (args.venvs or default_venvs()).resolve() / env.name
    python, note = choose_python(env, args.python)
    if note:
        say(note)
    start = time.perf_counter()
    try:
        if args.check_only:
            if not (venv / "bin" / "python").exists():
                raise CompatError(f"{venv} is not built: run without --check-only first")
            build_start = time.perf_counter()
            reinstall_helpers(venv)
            build_seconds = time.perf_counter() - build_start
        else:
            build_seconds = build(env, venv, python)
            say(f"{env.name} built in {build_seconds:.0f} s")
        say(f"{env.name}: {describe(venv)}")
        times = {} if args.build_only else run_checks(env, venv, args.rest, venv / "notebooks.json")
    except CompatError as err:
        say(f"FAILED: {err}")
        return 1
    parts = [f"build {build_seconds:.0f} s"] + [f"{k} {v:.0f} s" for k, v in times.items()]
    say(f"{env.name} passed: {', '.join(parts)}; {time.perf_counter() - start:.0f} s in all"
        + (f" ({note})" if note else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
