"""The benchmark harness runs and reports (it measures; nothing here is timed)."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO

from benchmarks.__main__ import Results


def test_results_table_and_json_carry_every_figure():
    res = Results()
    res.add("speed", 12.5, "GFLOP/s", ">= 10")
    res.add("count", 3, "")
    md = res.markdown("# header")
    assert "| speed | 12.5 | GFLOP/s | >= 10 |" in md
    assert md.count("\n| ") == 3  # header row + two figures
    js = res.as_json()
    assert js["speed"] == {"value": 12.5, "unit": "GFLOP/s", "date": res.date}
    assert js["count"]["value"] == 3.0


def test_matmul_section_runs_in_quick_mode(isolated_artifacts):
    env = {"TUTORIAL_QUICK": "1", "TUTORIAL_ARTIFACTS": str(isolated_artifacts), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "benchmarks", "--only", "matmul"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "float32 matmul rate" in out.stdout
    written = (isolated_artifacts / "benchmarks-quick.md").read_text()
    rate = float(written.split("| float32 matmul rate (2048x2048, TensorFlow) | ")[1].split(" |")[0])
    assert rate > 0.1
