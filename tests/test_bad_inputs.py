"""Bad input across the public helpers API (issue 15): a clear error of a type users expect, naming the argument.

Each case asserts the error's type (ValueError, TypeError or helpers.data.DataError)
and that its message names the argument (or environment variable) at fault.
Grouped by module, lowest layer first.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from contextlib import contextmanager

import numpy as np
import pytest

from conftest import REPO
from helpers import config


@contextmanager
def refused(error: type[Exception], *names: str):
    """Expect ``error`` whose message mentions every one of ``names`` (case-insensitive)."""
    with pytest.raises(error) as info:
        yield info
    message = str(info.value)
    for name in names:
        assert re.search(re.escape(name), message, re.IGNORECASE), f"{name!r} not in message: {message}"


# --- config: TUTORIAL_QUICK -------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["1", "true", "TRUE", " Yes ", "on", "On"])
def test_quick_true_spellings(monkeypatch, value):
    monkeypatch.setenv("TUTORIAL_QUICK", value)
    assert config.parse_flag("TUTORIAL_QUICK") is True


@pytest.mark.parametrize("value", ["0", "false", "False", "no", "OFF", "", "  "])
def test_quick_false_spellings(monkeypatch, value):
    monkeypatch.setenv("TUTORIAL_QUICK", value)
    assert config.parse_flag("TUTORIAL_QUICK") is False


def test_quick_unset_is_false(monkeypatch):
    monkeypatch.delenv("TUTORIAL_QUICK", raising=False)
    assert config.parse_flag("TUTORIAL_QUICK") is False


@pytest.mark.parametrize("value", ["2", "quick", "y", "n", "-1", "full", "1.0", "tru"])
def test_quick_unknown_values_are_refused(monkeypatch, value):
    monkeypatch.setenv("TUTORIAL_QUICK", value)
    with refused(ValueError, "TUTORIAL_QUICK", repr(value), "true", "false", "unset"):
        config.parse_flag("TUTORIAL_QUICK")


def _import_config(value: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, TUTORIAL_QUICK=value)
    code = "from helpers import config; config.setup(quiet=False)"
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True)


def test_unknown_quick_value_fails_at_import_with_the_message():
    out = _import_config("quick")
    assert out.returncode != 0
    assert "ValueError: TUTORIAL_QUICK='quick' is not a yes/no value" in out.stderr


def test_banner_shows_what_was_set():
    out = _import_config("Yes")
    assert out.returncode == 0, out.stderr
    assert "mode: quick (TUTORIAL_QUICK='Yes')" in out.stdout
