"""``sensequant sweep``: grid parsing and validation, the run cache, the ranked report."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

import sensequant.dataset.panel_step as frame_mod
import sensequant.pipeline.phases as phases_mod
from sensequant.cli.main import app
from sensequant.errors import ConfigError, PipelineError
from sensequant.pipeline.cache import RunCache, features_key, teachers_key
from sensequant.pipeline.comparison import RELEASED
from sensequant.pipeline.phase_results import RunResult
from sensequant.pipeline.run import run_pipeline
from sensequant.pipeline.sweep import run_sweep
from sensequant.pipeline.sweep_grid import expand_grid, load_grid, parse_grid
from sensequant.settings import RunConfig, Settings

GRID = {
    "student.learning_rate": [0.05, 0.1],
    "student.blend_grid": [[0.0, 1.0], [0.0, 0.5, 1.0]],
}


# -- grid parsing, expansion, validation (no pipeline) ----------------------------------------


def test_grid_expands_to_the_cartesian_product() -> None:
    points = expand_grid(RunConfig(), parse_grid({"grid": GRID}))
    assert [p.index for p in points] == [1, 2, 3, 4]
    assert [p.config.student.learning_rate for p in points] == [0.05, 0.05, 0.1, 0.1]
    assert [p.config.student.blend_grid for p in points] == [[0.0, 1.0], [0.0, 0.5, 1.0]] * 2
    assert points[3].overrides == {
        "student.learning_rate": 0.1,
        "student.blend_grid": GRID["student.blend_grid"][1],
    }
    # nothing else changes
    assert points[0].config.teacher == RunConfig().teacher


def test_top_level_keys_and_load_from_yaml(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text("grid:\n  seed: [1, 2, 3]\n  data.universe: [nifty50]\n", encoding="utf-8")
    points = expand_grid(RunConfig(), load_grid(path))
    assert [p.config.seed for p in points] == [1, 2, 3]


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ([1, 2], "one key, 'grid'"),
        ({"grid": {}}, "empty"),
        ({"grid": {"student.learning_rate": 0.1}}, "'student.learning_rate' must list"),
        ({"grid": {"student.learning_rate": []}}, "'student.learning_rate' must list"),
        ({"grid": {"student..x": [1]}}, "dotted field name"),
        ({"grid": {"student": [{}], "student.learning_rate": [0.1]}}, "overlap"),
        ({"grid": {"x": [1]}, "other": 1}, "one key"),
        ({"grid": {"seed": [1, 2, 1]}}, "'seed' lists 1 twice"),
    ],
)
def test_malformed_grids_are_rejected(raw: Any, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle.replace(".", r"\.").replace("(", r"\(")):
        parse_grid(raw)


def test_unknown_key_names_the_key_and_the_known_fields() -> None:
    with pytest.raises(ConfigError) as exc:
        expand_grid(RunConfig(), {"student.learning_rat": [0.1]})
    assert "student.learning_rat" in exc.value.message
    assert "learning_rate" in (exc.value.hint or "")
    with pytest.raises(ConfigError, match="has no field 'nope'"):
        expand_grid(RunConfig(), {"nope.x": [1]})


def test_invalid_value_names_the_point_and_the_key() -> None:
    with pytest.raises(ConfigError) as exc:
        expand_grid(RunConfig(), {"seed": [1, "not a number"]})
    assert "grid point 2" in exc.value.message and "seed" in exc.value.message
    assert exc.value.exit_code == 2


def test_missing_grid_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_grid(tmp_path / "absent.yaml")


def test_cli_rejects_a_bad_grid_with_exit_2(tmp_path: Path) -> None:
    grid = tmp_path / "g.yaml"
    grid.write_text("grid:\n  student.no_such_field: [1]\n", encoding="utf-8")
    res = CliRunner().invoke(
        app, ["sweep", "--grid", str(grid)], env={"SENSEQUANT_HOME": str(tmp_path)}
    )
    assert res.exit_code == 2
    assert "student.no_such_field" in res.output
    assert not (tmp_path / "sweeps").exists()


# -- the cache --------------------------------------------------------------------------------


def test_features_and_teachers_are_computed_once_for_student_only_changes(
    synthetic_home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"frames": 0, "teachers": 0}
    real_frame = frame_mod.symbol_frame

    def counting_frame(*args: Any, **kwargs: Any) -> Any:
        calls["frames"] += 1
        return real_frame(*args, **kwargs)

    def no_teachers(*args: Any, **kwargs: Any) -> list[Any]:
        calls["teachers"] += 1
        return []  # the run stops after the teachers phase: "no teacher window"

    monkeypatch.setattr(frame_mod, "symbol_frame", counting_frame)
    monkeypatch.setattr(phases_mod, "train_teachers", no_teachers)
    base = RunConfig().with_overrides(universe="AAA,BBB", start=dt.date(2015, 1, 1))
    points = expand_grid(
        base, {"student.learning_rate": [0.05, 0.1], "teacher.learning_rate": [0.05, 0.2]}
    )
    cache = RunCache()
    for point in points:
        with pytest.raises(PipelineError, match="no teacher window"):
            run_pipeline(point.config, synthetic_home, cache=cache)
    assert calls == {"frames": 2, "teachers": 2}  # 2 symbols once; 2 teacher settings
    assert cache.hits == {"features": 3, "teachers": 2}
    assert cache.misses == {"features": 1, "teachers": 2}
    # without a cache nothing is reused
    with pytest.raises(PipelineError):
        run_pipeline(points[0].config.model_copy(update={"name": "no-cache"}), synthetic_home)
    assert calls == {"frames": 4, "teachers": 3}


def test_cache_keys() -> None:
    base = RunConfig()

    pf: Any = SimpleNamespace(
        symbols=["AAA", "BBB"],
        range_start=pd.Timestamp("2020-01-01"),
        range_end=pd.Timestamp("2021-01-01"),
    )
    student, teacher, data = (
        expand_grid(base, {"student.learning_rate": [0.2]})
        + expand_grid(base, {"teacher.learning_rate": [0.2]})
        + expand_grid(base, {"data.min_history_sessions": [base.data.min_history_sessions + 1]})
    )
    assert features_key(student.config, pf) == features_key(base, pf)
    assert teachers_key(student.config, pf) == teachers_key(base, pf)
    assert features_key(teacher.config, pf) == features_key(base, pf)
    assert teachers_key(teacher.config, pf) != teachers_key(base, pf)
    assert features_key(data.config, pf) != features_key(base, pf)


# -- the report -------------------------------------------------------------------------------


def _fake_runner(sharpes: dict[float, float | None], seen: list[RunCache]) -> Any:
    def runner(config: RunConfig, settings: Settings, rep: Any, cache: RunCache) -> RunResult:
        seen.append(cache)
        sharpe = sharpes[config.student.learning_rate]
        if sharpe is None:
            raise PipelineError("the student made no out-of-sample predictions")
        run_id = f"run-{config.student.learning_rate}"
        run_dir = settings.runs_dir / run_id
        (run_dir / "returns").mkdir(parents=True)
        pd.DataFrame(
            {"series": [RELEASED, "NIFTY 50"], "sharpe": [sharpe, 0.5], "rank_ic": [0.02, None]}
        ).to_parquet(run_dir / "returns" / "comparison.parquet")
        briefing = {
            "oos": {"start": "2020-01-01", "end": "2021-01-01"},
            "headline": {"sharpe": sharpe},
            "dsr": {"dsr": 0.4, "n_trials": 7},
        }
        (run_dir / "promotion_briefing.json").write_text(json.dumps(briefing), encoding="utf-8")
        return RunResult(run_id, run_dir, "ready-for-review", {}, {})

    return runner


def test_report_ranks_points_and_warns(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    seen: list[RunCache] = []
    runner = _fake_runner({0.05: 0.8, 0.1: 1.3, 0.2: None}, seen)
    grid = {"student.learning_rate": [0.05, 0.1, 0.2]}
    report = run_sweep(RunConfig(), grid, settings, runner=runner)
    assert len(seen) == 3 and seen[0] is seen[1] is seen[2]  # one cache for the sweep
    assert [p.run_id for p in report.points] == ["run-0.1", "run-0.05", None]
    assert [p.rank for p in report.points] == [1, 2, None]
    best = report.points[0]
    assert (best.sharpe, best.rank_ic, best.dsr, best.dsr_n_trials) == (1.3, 0.02, 0.4, 7)
    assert best.overrides == {"student.learning_rate": 0.1} and best.ledger_trials == 0
    assert report.n_failed == 1 and "no out-of-sample" in (report.points[2].error or "")
    assert "selected out of 3 trials" in report.warning and "1.30" in report.warning
    data = json.loads((report.sweep_dir / "sweep.json").read_text(encoding="utf-8"))
    assert data["n_points"] == 3 and data["points"][0]["run_id"] == "run-0.1"
    assert report.sweep_dir.parent == tmp_path / "sweeps"
    md = (report.sweep_dir / "sweep.md").read_text(encoding="utf-8")
    assert "| 1 | run-0.1 | student.learning_rate=0.1 | 1.30 | 0.0200 | 0.400 | 0 |" in md
    assert "WARNING" in md


def test_cli_json_and_exit_code_1_when_a_point_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sensequant.pipeline.sweep as sweep_mod

    seen: list[RunCache] = []
    fake = _fake_runner({0.05: 0.8, 0.1: 1.3, 0.2: None}, seen)
    monkeypatch.setattr(sweep_mod, "_default_runner", fake)
    grid = tmp_path / "g.yaml"
    grid.write_text("grid:\n  student.learning_rate: [0.05, 0.1]\n", encoding="utf-8")
    env = {"SENSEQUANT_HOME": str(tmp_path), "COLUMNS": "200"}
    ok = CliRunner().invoke(app, ["sweep", "--grid", str(grid), "--json"], env=env)
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.stdout)
    assert [p["rank"] for p in data["points"]] == [1, 2] and data["n_failed"] == 0
    grid.write_text("grid:\n  student.learning_rate: [0.2]\n", encoding="utf-8")
    failed = CliRunner().invoke(app, ["sweep", "--grid", str(grid)], env=env)
    assert failed.exit_code == 1
    assert "1 of 1 points failed" in failed.output
