"""The HTML report of a real small run (6 NIFTY 50 stocks, 2016-2021, ../shared/data) with
the NIFTY 100 list imported (industries): every section filled from the run's own files, and,
where Chromium is installed, rendered headless with every plotly chart drawn offline.

Set ``SENSEQUANT_REPORT_SHOTS=/some/dir`` to keep the screenshot (for a person to look at).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sensequant.data.catalog import Catalog
from sensequant.data.imports import import_paths
from sensequant.data.store import BarStore
from sensequant.release.report import SECTIONS
from sensequant.settings import Settings
from tests.pipeline.conftest import SUBSET, run_real_subset
from tests.release.test_report import parse
from tests.release.test_report_chromium import _chromium, _run
from tests.release.test_report_sections import PLOTLY_SECTIONS

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


@pytest.fixture(scope="module")
def real_run(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("report_home")
    settings = Settings(home=home)
    nifty100 = shared_data / "universe" / "ind_nifty100list.csv"
    report = import_paths([nifty100], BarStore(settings.store_dir), Catalog(settings.catalog_path))
    assert report.n_failed == 0
    _, _, result, _ = run_real_subset(
        shared_data,
        home,
        start=dt.date(2016, 1, 1),
        end=dt.date(2021, 12, 31),
        student={"min_train_days": 540},
    )
    return result.run_dir


def test_every_section_is_filled_from_the_run(real_run: Path) -> None:
    text = (real_run / "report.html").read_text(encoding="utf-8")
    doc = parse(text)
    assert doc.order == [sid for sid, _ in SECTIONS]
    assert "could not render" not in text
    for sid, title in SECTIONS:
        assert len(doc.text[sid].replace(title, "", 1).strip()) > 40, sid
    for sid in PLOTLY_SECTIONS:
        assert doc.plotly[sid] >= 1, sid
    for sid in ("exposure", "costs", "holdings", "turnover", "drawdowns", "yearly"):
        assert "not in the run directory" not in doc.text[sid], sid
    brief = json.loads((real_run / "promotion_briefing.json").read_text())
    industries = brief["universe"]["industries"]
    assert set(industries) == set(SUBSET) and industries["TCS"] == "Information Technology"
    assert "Information Technology" in doc.text["holdings"]  # sector weights
    # 6 stocks and the default top-10 rule: pre-flight caps it at top-5 and says so; the capped
    # rule can be fully invested, so no warning is left (the card shows the rule it ran)
    pre = json.loads((real_run / "preflight.json").read_text())
    assert any("portfolio.top_k 10 >= 6 symbols in the universe: capped at 5" in n
               for n in pre["notes"])  # fmt: skip
    assert pre["warnings"] == [] and "this rule can be at most" not in doc.text["strategy"]
    daily = pd.read_parquet(real_run / "returns" / "daily.parquet")
    assert f"{daily['student_exposure'].mean() * 100:.1f} %" in doc.text["exposure"]
    costs = pd.read_parquet(real_run / "returns" / "cost_components.parquet")
    ledger = pd.read_parquet(real_run / "returns" / "ledger.parquet")
    assert costs["cost_inr"].sum() == pytest.approx(ledger["cost_inr"].sum())
    assert f"Rs {costs['stt'].sum():,.0f}" in doc.text["costs"]
    holdings = pd.read_parquet(real_run / "returns" / "holdings.parquet").set_index("timestamp")
    held = holdings.reindex(pd.DatetimeIndex(daily["timestamp"])).sum(axis=1).to_numpy()
    assert held == pytest.approx(daily["student_exposure"].to_numpy(), abs=1e-9)


@pytest.mark.chromium
def test_chromium_draws_every_chart_offline(real_run: Path, tmp_path: Path) -> None:
    binary = _chromium()
    report = real_run / "report.html"
    budget = "--virtual-time-budget=15000"
    proc = _run(binary, tmp_path / "profile-dom", budget, "--dump-dom", report.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = parse(proc.stdout)
    for sid in PLOTLY_SECTIONS:
        assert doc.svgs[sid] >= 2, f"plotly did not draw in {sid}"  # main-svg layers
    shot = tmp_path / "report.png"
    proc = _run(binary, tmp_path / "profile-shot", budget, f"--screenshot={shot}",
                "--window-size=1200,24000", report.as_uri())  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    from matplotlib import image

    pixels = np.asarray(image.imread(str(shot)))[..., :3]
    assert pixels.std() > 0.05
    keep = os.environ.get("SENSEQUANT_REPORT_SHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / "report_real.png")
