"""Teacher tasks: each window ends trained, skipped with a reason, or failed with the error."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import sensequant.models.teacher_tasks as teachers
from sensequant.dataset import WindowStatus, plan_windows, symbol_frame
from sensequant.pipeline.teachers import TeacherTask, run_teacher_task, soft_label_frame
from sensequant.settings import load_run_config
from sensequant.types import IST, PROBA_COLUMNS
from tests.conftest import make_daily_bars

# the class teachers (3-class labels): the original model, configs/class3.yaml
CFG = load_run_config(Path(__file__).resolve().parents[2] / "configs" / "class3.yaml")


@pytest.fixture()
def task() -> TeacherTask:
    bars = make_daily_bars(n=900, seed=11, start="2018-01-01")
    frame = symbol_frame("AAA", bars, CFG)
    windows = plan_windows("AAA", pd.Timestamp("2017-07-01", tz=IST), frame.last_bar, CFG.windows)
    return TeacherTask(frame, windows, {})


def test_windows_trained_or_skipped_with_reasons(task: TeacherTask) -> None:
    out = run_teacher_task(task, CFG)
    assert [o.window for o in out] == task.windows
    statuses = {o.status for o in out}
    assert WindowStatus.TRAINED in statuses and WindowStatus.SKIPPED in statuses
    for o in out:
        if o.status is WindowStatus.SKIPPED:
            assert o.reason and o.reason.split(":")[0] in {
                "before listing",
                "not enough future data for labels",
                "too few samples",
            }
        if o.status is WindowStatus.TRAINED:
            assert o.oof is not None and o.model_text
            assert (o.oof["t1"] <= o.window.end + pd.Timedelta(days=1)).all()
    soft = soft_label_frame(out)
    assert list(soft.columns[-3:]) == list(PROBA_COLUMNS)
    assert (soft["window_end"] >= soft["timestamp"]).all()
    # the plain definition: each trained window's OOF frame with its symbol, id and end
    parts = []
    for o in out:
        if o.status is WindowStatus.TRAINED and o.oof is not None:
            part = o.oof.copy()
            part.insert(0, "symbol", o.window.symbol)
            part["window_id"] = o.window.window_id
            part["window_end"] = o.window.end
            parts.append(part)
    want = pd.concat(parts, ignore_index=True)[list(soft.columns)]
    pd.testing.assert_frame_equal(soft, want, check_exact=True)


def test_a_failing_window_is_recorded_not_fatal(
    task: TeacherTask, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = teachers.train_teacher
    victim = next(w for w in task.windows if w.start >= pd.Timestamp("2019-01-01", tz=IST))

    def flaky(X: pd.DataFrame, *args: object, **kwargs: object) -> object:
        if X.index[0] >= victim.start and X.index[-1] <= victim.end:
            raise RuntimeError("disk on fire")
        return real(X, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(teachers, "train_teacher", flaky)
    out = run_teacher_task(task, CFG)
    failed = [o for o in out if o.status is WindowStatus.FAILED]
    assert [o.window for o in failed] == [victim]
    assert "disk on fire" in (failed[0].reason or "") and "Traceback" in (failed[0].reason or "")
    assert any(o.status is WindowStatus.TRAINED for o in out)
