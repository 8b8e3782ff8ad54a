"""The benchmark harness runs and reports (it measures; nothing here is timed)."""

from __future__ import annotations

import subprocess

import pytest
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
    assert js["speed"] == {"value": 12.5, "unit": "GFLOP/s", "goal": ">= 10", "note": "", "section": "",
                           "date": res.date}
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


def test_an_update_replaces_the_sections_it_measured_and_keeps_the_others_with_their_day():
    earlier = Results()
    earlier.date = "2026-01-01"
    for section, name, value in (("matmul", "float32 matmul rate", 400.0), ("vae", "ELBO", 95.0),
                                 ("bigan", "knn", 0.96), ("bigan", "old row", 1.0), ("style", "slant", 0.9)):
        earlier.section = section
        earlier.add(name, value, "u", ">= 1", "n")
    now = Results()
    for section, name, value in (("matmul", "float32 matmul rate", 200.0), ("bigan", "knn", 0.97)):
        now.section = section
        now.add(name, value, "u")
    merged = now.merged_into(earlier.as_json(), ["matmul", "bigan"])
    table = {r["name"]: (r["value"], r["date"]) for r in merged.rows}
    assert table == {"float32 matmul rate": (200.0, now.date), "float32 matmul rate, 2026-01-01": (400.0, "2026-01-01"),
                     "ELBO": (95.0, "2026-01-01"), "knn": (0.97, now.date), "slant": (0.9, "2026-01-01")}
    assert [r["section"] for r in merged.rows] == ["matmul", "matmul", "vae", "bigan", "style"]
    later = Results()
    later.date = "2027-01-01"
    later.section = "matmul"
    later.add("float32 matmul rate", 300.0, "u")
    again = {r["name"]: r["value"] for r in later.merged_into(merged.as_json(), ["matmul", "bigan"]).rows
             if r["section"] == "matmul"}  # a second update names each earlier day's rate once
    assert again == {"float32 matmul rate": 300.0, "float32 matmul rate, 2026-01-01": 400.0}
    md = merged.markdown("# h")
    assert "| ELBO | 95 | u | >= 1 | n | 2026-01-01 |" in md  # a kept row keeps its goal, note and day
    with pytest.raises(ValueError, match="matmul"):
        now.merged_into(earlier.as_json(), ["bigan"])
    with pytest.raises(ValueError, match="without a known section"):
        now.merged_into({"x": {"value": 1.0, "unit": "", "goal": "", "note": "", "date": "2026-01-01"}},
                        ["matmul", "bigan"])


def test_series_times_are_also_shares_of_chapters_01_to_07(isolated_artifacts):
    """The issues' minute goals were set where 01-07 took 10 min; the shares hold on a machine of any speed."""
    from benchmarks.__main__ import bench_series
    from helpers import cache

    seconds = {f"{k:02d}_chapter.ipynb": 60.0 for k in range(1, 8)}  # 01-07: 7 minutes
    seconds.update({"08_flows.ipynb": 168.0, "09_diffusion.ipynb": 420.0})
    cache.save_json(cache.artifact_path("run_times", ".json", mode="full"),
                    {"notebooks": seconds, "peak_bytes": {}, "total_seconds": 1100.0, "measured": "2026-12-04",
                     "matmul_gflops": [120.4, None]})
    res = Results()
    bench_series(res, {})
    rows = {r["name"]: r for r in res.rows}
    assert rows["make run, chapters 01-07 of it"]["value"] == pytest.approx(7.0)
    assert rows["notebook 08 / chapters 01-07"]["value"] == pytest.approx(0.4)
    assert rows["notebook 08 / chapters 01-07"]["goal"] == "<= 0.4"
    assert rows["notebook 09 / chapters 01-07"]["value"] == pytest.approx(1.0)
    assert rows["notebook 09 / chapters 01-07"]["goal"] == "<= 0.9"
    assert rows["chapters 01-08 / chapters 01-07"]["value"] == pytest.approx(1.4)
    assert rows["chapters 01-08 / chapters 01-07"]["goal"] == "<= 1.4"
    assert rows["make run / chapters 01-07"]["value"] == pytest.approx(1100.0 / 420.0)
    assert rows["make run / chapters 01-07"]["goal"] == "<= 2"
    assert "at 120 GFLOP/s" in rows["make run, whole series (training included)"]["note"]


def test_series_shares_count_each_chapters_whole_turn_in_the_make_run(isolated_artifacts):
    """Writing and checking each notebook is part of the make run: 01-07's turns, not only their kernels' runs."""
    from benchmarks.__main__ import bench_series
    from helpers import cache

    kernels = {f"{k:02d}_chapter.ipynb": 60.0 for k in range(1, 8)}
    kernels.update({"08_flows.ipynb": 160.0, "09_diffusion.ipynb": 380.0})
    turns = {name: seconds + 4.0 for name, seconds in kernels.items()}  # 01-07: 448 s
    cache.save_json(cache.artifact_path("run_times", ".json", mode="full"),
                    {"notebooks": kernels, "turn_seconds": turns, "peak_bytes": {}, "total_seconds": 1000.0,
                     "measured": "2026-12-05", "matmul_gflops": [350.0, 350.0]})
    res = Results()
    bench_series(res, {})
    rows = {r["name"]: r for r in res.rows}
    assert rows["make run, chapters 01-07 of it"]["value"] == pytest.approx(448.0 / 60)
    assert rows["notebook 08 / chapters 01-07"]["value"] == pytest.approx(164.0 / 448.0)
    assert rows["chapters 01-08 / chapters 01-07"]["value"] == pytest.approx((448.0 + 164.0) / 448.0)
    assert rows["make run / chapters 01-07"]["value"] == pytest.approx(1000.0 / 448.0)
    assert rows["  08_flows.ipynb"]["value"] == 160.0  # the chapter's own row stays its kernel's run


def test_series_without_all_of_chapters_01_to_07_gets_no_shares(isolated_artifacts):
    from benchmarks.__main__ import bench_series
    from helpers import cache

    cache.save_json(cache.artifact_path("run_times", ".json", mode="full"),
                    {"notebooks": {"08_flows.ipynb": 200.0, "09_diffusion.ipynb": 400.0}, "total_seconds": 600.0})
    res = Results()
    bench_series(res, {})
    assert [r["name"] for r in res.rows] == ["make run, whole series (training included)", "  08_flows.ipynb",
                                             "  09_diffusion.ipynb"]


def test_the_flow_sweep_runs_of_a_capped_configuration_are_found(tmp_path, monkeypatch):
    """The sweep trains without a step cap; the chapter's flow has one: its budget rows still come from the sweep."""
    import json

    from benchmarks import flow_sweep
    from helpers import flow

    capped = flow.training_config(max_steps=1000)
    uncapped = {**capped, "max_steps": None}
    log = tmp_path / "flow_sweep.json"
    runs = [{"config": {**uncapped, "budget_seconds": b}, "budget_seconds": b, "test bits/dim": 1.3 - b / 1000}
            for b in (180.0, 60.0)]
    runs.append({"config": {**uncapped, "widths": [8, 8, 8], "budget_seconds": 90.0}, "budget_seconds": 90.0})
    log.write_text(json.dumps({"runs": runs}))
    monkeypatch.setattr(flow_sweep, "LOG", log)
    assert [r["budget_seconds"] for r in flow_sweep.runs_of(capped)] == [60.0, 180.0]
