"""Run checkpoints: JSON + Parquet round trips of every checkpointed type (values, dtypes, IST),
and unusable checkpoints (unknown version, altered, not JSON) ignored and recomputed."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import sensequant.pipeline.phases as phases_mod
import sensequant.pipeline.run as run_mod
from sensequant.dataset import Window, WindowStatus
from sensequant.errors import PipelineError
from sensequant.models import SkippedPeriod, StudentPeriod, WalkForwardResult
from sensequant.pipeline.checkpoint_files import ts_from_text, ts_text
from sensequant.pipeline.checkpoints import Checkpoints
from sensequant.pipeline.phase_results import StudentPhaseResult
from sensequant.pipeline.preflight import PreflightReport, SymbolCoverage
from sensequant.pipeline.teachers import WindowOutcome
from sensequant.progress import NullReporter
from sensequant.release.registry import Registry
from sensequant.settings import RunConfig, Settings, load_run_config
from sensequant.types import IST


def _t(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=IST)


def _window(sym: str, start: str) -> Window:
    return Window(sym, f"{sym}@{start}", _t(start), _t(start) + pd.Timedelta(days=180))


def _preflight() -> PreflightReport:
    return PreflightReport(
        universe="custom",
        range_start=_t("2016-01-01"),
        range_end=_t("2021-12-31"),
        coverage=[
            SymbolCoverage(
                "M&M",
                _t("2002-01-01"),
                _t("2021-12-31"),
                1480,
                2,
                missing_dates=(_t("2017-10-19"), _t("2018-11-07")),
                listing_date=dt.date(1996, 5, 1),
                industry="Automobile and Auto Components",
            ),
            SymbolCoverage("NEW", None, None, 0, 0, excluded="no bars stored"),
        ],
        windows={"M&M": [_window("M&M", "2016-01-01"), _window("M&M", "2016-04-01")]},
        unservable={"M&M@2016-04-01": "before_listing: listed 2016-05-01"},
        benchmark_first=_t("1996-01-01"),
        benchmark_last=None,
        breaks=[
            {"symbol": "M&M", "session_date": "2018-01-02", "size": -0.69, "reviewer": None},
            {"symbol": "M&M", "session_date": "2019-01-02", "size": 0.1, "reviewer": "ana"},
        ],
        warnings=["top_k 5 >= 1 usable symbol(s)"],
        notes=["benchmark: équal-weight basket"],  # non-ASCII kept
    )


def test_timestamps_keep_their_zone_and_nanoseconds() -> None:
    ts = pd.Timestamp("2024-06-04 09:15:00.000000123", tz=IST)
    text = ts_text(ts)
    assert text == "2024-06-04T09:15:00.000000123+05:30[Asia/Kolkata]"
    back = ts_from_text(text)
    assert back == ts and str(back.tz) == IST
    assert ts_from_text(ts_text(pd.Timestamp("2024-01-01"))) == pd.Timestamp("2024-01-01")
    assert ts_text(None) is None and ts_from_text(None) is None


def test_preflight_round_trip(tmp_path: Path) -> None:
    pf = _preflight()
    ck = Checkpoints(tmp_path)
    ck.save_preflight(pf)
    back = ck.preflight()
    assert back == pf
    assert str(back.range_start.tz) == IST
    assert str(back.coverage[0].missing_dates[0].tz) == IST
    assert str(back.windows["M&M"][0].end.tz) == IST
    assert back.symbols == ["M&M"] and back.excluded == {"NEW": "no bars stored"}
    assert json.loads((ck.dir / "preflight.json").read_text())["version"] == 1


def _outcomes() -> list[WindowOutcome]:
    stamps = pd.date_range("2016-01-01", periods=4, freq="D", tz=IST)
    oof = pd.DataFrame(
        {
            "timestamp": stamps,
            "p_down": [0.2, 0.3, 0.1, 0.5],
            "p_flat": [0.5, 0.4, 0.6, 0.25],
            "p_up": [0.3, 0.3, 0.3, 0.25],
            "t1": stamps + pd.Timedelta(days=5),
        }
    )
    return [
        WindowOutcome(
            _window("M&M", "2016-01-01"),
            WindowStatus.TRAINED,
            n_train=300,
            n_val=60,
            metrics={"log_loss": 1.05, "rank_ic": float("nan"), "hit": np.float64(0.5)},
            model_text="tree\nversion=v4\n...",
            oof=oof,
        ),
        WindowOutcome(_window("M&M", "2016-04-01"), WindowStatus.SKIPPED, "before_listing: x"),
        WindowOutcome(
            _window("M&M", "2016-07-01"),
            WindowStatus.FAILED,
            "ValueError('boom')\nTraceback (most recent call last):\n  ...",
        ),
        WindowOutcome(
            _window("M&M", "2016-10-01"),
            WindowStatus.TRAINED,
            n_train=280,
            n_val=50,
            model_text="tree\nsecond",
            oof=oof.iloc[:0],  # a trained window without OOF rows stays an empty frame
        ),
        WindowOutcome(
            _window("M&M", "2017-01-01"),
            WindowStatus.TRAINED,
            model_text="tree\nthird",
            oof=oof.iloc[1:3].reset_index(drop=True),
        ),
    ]


def _assert_same_outcomes(got: list[WindowOutcome], want: list[WindowOutcome]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert (g.window, g.status, g.reason, g.n_train, g.n_val, g.model_text) == (
            w.window,
            w.status,
            w.reason,
            w.n_train,
            w.n_val,
            w.model_text,
        )
        assert g.metrics.keys() == w.metrics.keys()
        for k, v in w.metrics.items():
            assert g.metrics[k] == v or (math.isnan(g.metrics[k]) and math.isnan(v))
        if w.oof is None:
            assert g.oof is None
        else:
            assert g.oof is not None
            pd.testing.assert_frame_equal(g.oof, w.oof.reset_index(drop=True), check_exact=True)


def test_teacher_outcomes_round_trip(tmp_path: Path) -> None:
    outcomes = _outcomes()
    ck = Checkpoints(tmp_path)
    ck.save_teachers(outcomes)
    got = ck.teachers(["M&M", "INFY"])
    assert list(got) == ["M&M"]  # INFY did not finish
    _assert_same_outcomes(got["M&M"], outcomes)
    assert got["M&M"][0].oof is not None and str(got["M&M"][0].oof["t1"].dt.tz) == IST


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "symbol": pd.Categorical(rng.choice(["INFY", "M&M"], n)),
            "timestamp": pd.date_range("2019-01-01 09:15", periods=n, freq="5min", tz=IST),
            "score": rng.normal(size=n),
            "period_id": np.arange(n, dtype=np.int64) // 3,
            "note": [None if i % 2 else f"r{i}" for i in range(n)],
            "flag": rng.integers(0, 2, n).astype(bool),
            "n32": np.arange(n, dtype=np.int32),
        }
    )


def _student(full: bool) -> StudentPhaseResult:
    periods = tuple(
        StudentPeriod(
            i,
            *(_t("2019-01-01") + pd.Timedelta(days=d) for d in (i, i + 1, 0, 1, 2)),
            100 + i,
            10,
            f"tree\nperiod {i}",
        )
        for i in range(1, 3)
    )
    skipped = (SkippedPeriod(0, _t("2018-07-01"), _t("2019-01-01"), 12, "12 training samples"),)
    panel = _frame(9, 3).set_index(["symbol", "timestamp"])  # a non-default index is kept
    return StudentPhaseResult(
        student=WalkForwardResult(_frame(6, 1), periods, skipped if full else ()),
        teacher_pred=_frame(6, 2),
        panel=panel,
        soft_labels=_frame(0, 4).astype({"symbol": object}),  # empty categoricals: object
        variants={0.0: _frame(6, 5), 0.25: _frame(6, 6)} if full else {},
        blend_choice=pd.DataFrame({"period_id": [1.0, 2.0], "rank_ic_0.25": [0.01, np.nan]})
        if full
        else None,
        alternatives={"stacked (teacher score)": _frame(4, 7)} if full else {},
    )


def _assert_same_student(got: StudentPhaseResult, want: StudentPhaseResult) -> None:
    assert got.student.periods == want.student.periods
    assert got.student.skipped == want.student.skipped
    pd.testing.assert_frame_equal(got.student.predictions, want.student.predictions)
    pd.testing.assert_frame_equal(got.teacher_pred, want.teacher_pred, check_exact=True)
    # the panel and soft labels are not written (rebuilt from frames and outcomes on resume)
    assert got.panel.empty and got.soft_labels.empty
    assert list(got.variants) == list(want.variants)
    for w, frame in want.variants.items():
        pd.testing.assert_frame_equal(got.variants[w], frame)
    assert list(got.alternatives) == list(want.alternatives)
    for n, frame in want.alternatives.items():
        pd.testing.assert_frame_equal(got.alternatives[n], frame)
    if want.blend_choice is None:
        assert got.blend_choice is None
    else:
        assert got.blend_choice is not None
        pd.testing.assert_frame_equal(got.blend_choice, want.blend_choice)


@pytest.mark.parametrize("full", [True, False])
def test_student_round_trip(tmp_path: Path, full: bool) -> None:
    sp = _student(full)
    plain = _frame(6, 8) if full else None
    ck = Checkpoints(tmp_path)
    ck.save_student(sp, plain)
    saved = ck.student()
    assert saved is not None
    got, got_plain = saved
    _assert_same_student(got, sp)
    if plain is None:
        assert got_plain is None
    else:
        pd.testing.assert_frame_equal(got_plain, plain)
    assert str(got.teacher_pred["timestamp"].dt.tz) == IST
    assert not list(ck.dir.rglob("*.pkl"))
    assert not list(ck.dir.rglob("*panel*"))  # the panel is rebuilt on resume, never written


def _set_version(manifest: Path, version: int) -> None:
    body = json.loads(manifest.read_text())
    manifest.write_text(json.dumps(body | {"version": version}))


def _corrupt(ck: Checkpoints, how: str) -> None:
    if how == "version":
        _set_version(ck.dir / "student.json", 99)
    elif how == "format":
        body = json.loads((ck.dir / "student.json").read_text())
        (ck.dir / "student.json").write_text(json.dumps(body | {"format": "other"}))
    elif how == "not json":
        (ck.dir / "student.json").write_text("\x80\x04\x95 a pickle?")
    elif how == "altered part":
        path = ck.dir / "student.models.parquet"
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    elif how == "missing part":
        (ck.dir / "student.teacher_pred.parquet").unlink()
    elif how == "bad field":
        body = json.loads((ck.dir / "student.json").read_text())
        body["periods"][0]["test_start"] = "yesterday"
        (ck.dir / "student.json").write_text(json.dumps(body))


@pytest.mark.parametrize(
    "how", ["version", "format", "not json", "altered part", "missing part", "bad field"]
)
def test_an_unusable_checkpoint_is_ignored_with_a_warning(tmp_path: Path, how: str) -> None:
    warnings: list[str] = []
    ck = Checkpoints(tmp_path, warnings.append)
    ck.save_student(_student(True), None)
    _corrupt(ck, how)
    assert ck.student() is None
    assert len(warnings) == 1 and "student" in warnings[0] and "computed again" in warnings[0]


def test_a_checkpoint_without_its_manifest_is_absent(tmp_path: Path) -> None:
    warnings: list[str] = []
    ck = Checkpoints(tmp_path, warnings.append)
    ck.save_teachers(_outcomes())
    (ck.dir / "teachers" / "M%26M.json").unlink()  # killed before the manifest was written
    assert ck.teachers(["M&M"]) == {} and warnings == []
    assert ck.preflight() is None and ck.student() is None


def test_a_teacher_checkpoint_of_another_symbol_is_ignored(tmp_path: Path) -> None:
    warnings: list[str] = []
    ck = Checkpoints(tmp_path, warnings.append)
    ck.save_teachers(_outcomes())
    folder = ck.dir / "teachers"
    body = json.loads((folder / "M%26M.json").read_text())
    for entry in body["files"].values():  # M&M's checkpoint copied under INFY's name
        new = entry["name"].replace("M%26M", "INFY")
        (folder / entry["name"]).rename(folder / new)
        entry["name"] = new
    (folder / "INFY.json").write_text(json.dumps(body))
    assert ck.teachers(["INFY"]) == {}
    assert "another symbol" in warnings[0]


# -- a run resumed from tampered checkpoints ----------------------------------------------------


@pytest.fixture()
def home(synthetic_home: Settings) -> Settings:
    """The shared synthetic home (tests/pipeline/conftest.py)."""
    return synthetic_home


def _interrupt(*args: Any, **kwargs: Any) -> Any:
    raise KeyboardInterrupt("test: stopped after the student")


def test_tampered_checkpoints_are_recomputed_on_resume(
    home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = RunConfig().with_overrides(universe="AAA,BBB", start=dt.date(2015, 1, 1))
    with monkeypatch.context() as m:
        m.setattr(run_mod, "backtest_phase", _interrupt)
        with pytest.raises(KeyboardInterrupt):
            run_mod.run_pipeline(config, home)
    (run,) = Registry(home.registry_path).list_runs()
    ck = Checkpoints(Path(run.run_dir))
    assert {p.name for p in ck.dir.glob("*.json")} == {"preflight.json", "student.json"}
    assert {p.name for p in (ck.dir / "teachers").glob("*.json")} == {"AAA.json", "BBB.json"}
    assert not list(ck.dir.rglob("*.pkl"))
    _set_version(ck.dir / "teachers" / "AAA.json", 99)  # written by a future version
    models = ck.dir / "student.models.parquet"
    models.write_bytes(models.read_bytes() + b"tampered")

    trained: list[str] = []
    students: list[int] = []
    real_train, real_student = phases_mod.train_teachers, run_mod.student_phase

    def train(tasks: list[Any], *args: Any, **kwargs: Any) -> Any:
        trained.extend(t.frame.symbol for t in tasks)
        return real_train(tasks, *args, **kwargs)

    def student(*args: Any, **kwargs: Any) -> Any:
        students.append(1)
        return real_student(*args, **kwargs)

    monkeypatch.setattr(phases_mod, "train_teachers", train)
    monkeypatch.setattr(run_mod, "student_phase", student)
    rep = NullReporter()
    config = load_run_config(Path(run.run_dir) / "config.yaml")  # as `run --resume` does
    result = run_mod.run_pipeline(config, home, rep, resume=run.run_id)
    assert trained == ["AAA"] and students == [1]  # BBB's teachers were reused
    warned = [line for line in rep.lines if line.startswith("warning: checkpoint")]
    assert len(warned) == 2, rep.lines
    assert "AAA" in warned[0] and "version 99" in warned[0]
    assert "student" in warned[1] and "changed" in warned[1]
    assert result.run_id == run.run_id and not ck.dir.exists()


def test_a_resume_without_a_usable_preflight_says_so(
    home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = RunConfig().with_overrides(universe="AAA,BBB", start=dt.date(2015, 1, 1))
    with monkeypatch.context() as m:
        m.setattr(run_mod, "teacher_phase", _interrupt)
        with pytest.raises(KeyboardInterrupt):
            run_mod.run_pipeline(config, home)
    (run,) = Registry(home.registry_path).list_runs()
    ck = Checkpoints(Path(run.run_dir))
    (ck.dir / "preflight.json").write_text('{"format": "sensequant.checkpoint.preflight"')
    rep = NullReporter()
    with pytest.raises(PipelineError, match="no usable pre-flight"):
        run_mod.run_pipeline(config, home, rep, resume=run.run_id)
    assert any("preflight" in line and "not readable JSON" in line for line in rep.lines)
    # a run checkpointed by an earlier version (pickles) is refused, its pickles never loaded
    (ck.dir / "preflight.json").unlink()
    (ck.dir / "preflight.pkl").write_bytes(b"\x80\x04never loaded")
    with pytest.raises(PipelineError) as info:
        run_mod.run_pipeline(config, home, rep, resume=run.run_id)
    assert "pickles of an earlier version" in (info.value.hint or "")
