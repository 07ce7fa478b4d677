"""Tests of the self-contained HTML run report (sensequant.release.report / figures)."""

from __future__ import annotations

import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import lightgbm
import matplotlib
import numpy as np
import pandas as pd
import pytest
import yaml

from sensequant.errors import PipelineError
from sensequant.evaluation import metrics
from sensequant.release import figures as fg
from sensequant.release.briefing import EQUAL_WEIGHT
from sensequant.release.charts import PLOTLY_MARKER, plotly_bundle
from sensequant.release.report import (
    NEVER_TRADED,
    NOT_COMPUTED,
    REPORT_NAME,
    SECTIONS,
    fmt_number,
    render_report,
    write_report,
)
from sensequant.types import IST

SECTION_IDS = [sid for sid, _ in SECTIONS]
NA_NOT_COMPUTED = f"n/a ({NOT_COMPUTED})"
FEATURES = ["logret_5", "rsi_14", "atr_14", "volume_z_20"]
SYMBOLS = ["RELIANCE", "M&M<x>"]
INDUSTRIES = {"RELIANCE": "Oil Gas & Consumable Fuels", "M&M<x>": "Automobile & Auto <Parts>"}
EXPOSURE = 0.6
"""Invested fraction of the synthetic student on every trading day (below the 80 % alert)."""
CONFIG: dict[str, Any] = {
    "name": "synthetic",
    "stats": {"periods_per_year": 252, "risk_free_rate": 0.0},
    "data": {"universe": "nifty50", "interval": "1day"},
    "labels": {"horizon": 7, "threshold_k": 0.65, "vol_lookback": 20,
               "method": "fixed_horizon", "target": "cs_rank"},
    "windows": {"length_days": 180, "step_days": 90},
    "teacher": {"num_boost_round": 50, "num_leaves": 7},
    "student": {"test_period_days": 90, "train_lookback_days": 1095, "objective": "regression",
                "blend_grid": [0.0, 0.5, 1.0], "soft_label_weight": 1.0},
    "portfolio": {"sizing": "top_k", "top_k": 10, "min_probability": None, "score": "score",
                  "rebalance_every": 5, "hold_buffer": 10, "max_weight_per_symbol": None},
    "backtest": {"fill": "next_open", "capital_inr": 1_000_000.0, "slippage_bps": 5.0,
                 "cost_segment": "delivery", "rebalance_tolerance": 0.02},
}  # fmt: skip
COMPONENTS = ("stt", "exchange_txn", "ipft", "sebi_fee", "stamp_duty", "brokerage",
              "dp_charge", "gst", "slippage")  # fmt: skip
TRIALS = ["student top10", "student top5", "teacher-direct top10"]


VERDICT = "Distillation lost to the direct model: student Rank IC 0.0213 vs direct 0.0344 <b>."
COMPARISON: list[dict[str, Any]] = [
    {"name": "released model", "label": "released student, daily, net of NSE costs",
     "mean_ic": 0.0183, "rank_ic": 0.0196, "icir": 0.1837, "sharpe": 0.8412,
     "annual_return": 0.1473, "max_drawdown": -0.2314, "mean_exposure": 0.8719,
     "time_in_market": 0.9452, "annual_turnover": 9.7312, "n_days": 800},
    {"name": "direct", "label": "pooled model, no teachers, daily, net of NSE costs",
     "mean_ic": 0.0342, "rank_ic": 0.0344, "icir": 0.2916, "sharpe": 0.9133,
     "annual_return": 0.1622, "max_drawdown": -0.2237, "mean_exposure": 0.9107,
     "time_in_market": 0.9627, "annual_turnover": 11.2843, "n_days": 800},
    {"name": "NIFTY 50", "label": "NIFTY 50 price index, not rebalanced, no costs",
     "mean_ic": None, "rank_ic": None, "icir": None, "sharpe": 0.6113,
     "annual_return": 0.1036, "max_drawdown": -0.3801, "mean_exposure": None,
     "time_in_market": None, "annual_turnover": None, "n_days": 800},
    {"name": "equal-weight monthly (costed)",
     "label": "equal weight rebalanced monthly, net of NSE costs",
     "mean_ic": None, "rank_ic": None, "icir": None, "sharpe": 0.8648,
     "annual_return": 0.1352, "max_drawdown": -0.3519, "mean_exposure": 0.9907,
     "time_in_market": 1.0, "annual_turnover": 0.4413, "n_days": 800},
]  # fmt: skip


# --------------------------------------------------------------------------- fixtures


def _perf_row(
    name: str, r: pd.Series, turnover: pd.Series | None = None, exposure: pd.Series | None = None
) -> dict[str, Any]:
    s = metrics.summarize(r, turnover=turnover, exposure=exposure)
    return {
        "name": name,
        "cagr": s.cagr,
        "sharpe": s.sharpe,
        "sortino": s.sortino,
        "max_drawdown": abs(s.max_drawdown.depth),
        "max_dd_peak": s.max_drawdown.peak.date().isoformat(),
        "max_dd_trough": s.max_drawdown.trough.date().isoformat(),
        "volatility": s.annual_volatility,
        "turnover": s.annual_turnover,
        "exposure": s.mean_exposure,
        "time_in_market": s.time_in_market,
        "hit_rate": s.hit_rate,
        "total_return": s.total_return,
    }


def _clean(value: Any) -> Any:
    """JSON as the pipeline writes it: NaN -> null."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _tiny_model(path: Path) -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, len(FEATURES)))
    y = (x[:, 1] > 0.3).astype(int) + (x[:, 0] > 0.5).astype(int)
    params = {"objective": "multiclass", "num_class": 3, "verbose": -1, "seed": 1,
              "num_leaves": 4, "min_data_in_leaf": 10, "deterministic": True}  # fmt: skip
    booster = lightgbm.train(params, lightgbm.Dataset(x, y, feature_name=FEATURES), 5)
    path.write_text(booster.model_to_string(), encoding="utf-8")


def _portfolio_artifacts(run: Path, ts: pd.DatetimeIndex, exposure: np.ndarray) -> None:
    """``returns/holdings.parquet`` (2/3 and 1/3 of the exposure) and 24 costed trades."""
    pd.DataFrame(
        {"timestamp": ts, SYMBOLS[0]: exposure * 2 / 3, SYMBOLS[1]: exposure / 3}
    ).to_parquet(run / "returns" / "holdings.parquet", index=False)
    rows = []
    for i in range(24):
        side = "buy" if i % 2 == 0 else "sell"
        notional = 100_000.0 * (1 + i % 3)
        parts = {
            "stt": notional * 1e-3, "exchange_txn": notional * 3.25e-5, "ipft": 0.0,
            "sebi_fee": notional * 1e-6, "stamp_duty": notional * 1.5e-4 if side == "buy" else 0.0,
            "brokerage": 0.0, "dp_charge": 13.0 if side == "sell" else 0.0,
            "gst": 0.18 * (notional * 3.35e-5 + (13.0 if side == "sell" else 0.0)),
            "slippage": notional * 5e-4,
        }  # fmt: skip
        rows.append(
            {"date": ts[(len(ts) // 25) * i], "symbol": SYMBOLS[i % 2], "side": side,
             "notional_inr": notional, "cost_inr": sum(parts.values())} | parts
        )  # fmt: skip
    pd.DataFrame(rows).to_parquet(run / "returns" / "cost_components.parquet", index=False)


def make_run_dir(
    root: Path, *, full: bool = True, zero_trades: bool = False, n: int = 800, seed: int = 11
) -> Path:
    """A synthetic finished run directory with every artifact the report reads.

    ``full`` adds the issue-4 briefing keys (comparisons, snooping, stress, ...); without it
    the briefing looks like the pre-issue-4 real run. ``zero_trades`` makes a student that
    never trades (all-zero returns and turnover, null ratios).
    """
    rng = np.random.default_rng(seed)
    run = root / "run"
    for sub in ("returns", "models", "report"):
        (run / sub).mkdir(parents=True, exist_ok=True)
    ts = pd.bdate_range("2019-01-01", periods=n, tz=IST)
    nifty = rng.normal(0.0004, 0.011, n)
    student = 0.7 * nifty + rng.normal(0.0002, 0.006, n)
    turnover = np.abs(rng.normal(0.3, 0.1, n))
    if zero_trades:
        student, turnover = np.zeros(n), np.zeros(n)
    daily = pd.DataFrame(
        {
            "timestamp": ts,
            "student_net": student,
            "student_gross": student + 0.0002 * (turnover > 0),
            "student_costs": 0.0002 * (turnover > 0),
            "student_turnover": turnover,
            "student_exposure": np.where(turnover > 0, EXPOSURE, 0.0),
            "teacher_direct_net": 0.8 * nifty + rng.normal(0.0001, 0.007, n),
            "nifty50": nifty,
            "equal_weight": 0.9 * nifty + rng.normal(0.0005, 0.004, n),
        }
    )
    daily.to_parquet(run / "returns" / "daily.parquet", index=False)
    trials = pd.DataFrame({"timestamp": ts} | {t: rng.normal(0.0003, 0.01, n) for t in TRIALS})
    trials[TRIALS[0]] = student
    trials.to_parquet(run / "returns" / "trials.parquet", index=False)
    ic = pd.DataFrame(
        {
            "timestamp": ts,
            "student_ic": rng.normal(0.02, 0.1, n),
            "student_rank_ic": rng.normal(0.02, 0.1, n),
            "student_n": 40,
            "teacher-direct_ic": rng.normal(0.01, 0.1, n),
            "teacher-direct_rank_ic": rng.normal(0.01, 0.1, n),
            "teacher-direct_n": 40,
        }
    )
    ic.to_parquet(run / "returns" / "ic_daily.parquet", index=False)
    _tiny_model(run / "models" / "student.txt")
    (run / "config.yaml").write_text(yaml.safe_dump(CONFIG))
    if full:
        _portfolio_artifacts(run, ts, daily["student_exposure"].to_numpy())
    (run / "manifest.yaml").write_text("run_id: synthetic\n")
    (run / "promotion_briefing.md").write_text("# briefing\n")

    r = daily.set_index("timestamp")
    perf = [
        _perf_row("student", r["student_net"], r["student_turnover"], r["student_exposure"]),
        _perf_row("teacher-direct", r["teacher_direct_net"]),
        _perf_row("NIFTY 50 (price index)", r["nifty50"], exposure=1.0 + 0.0 * r["nifty50"]),
        _perf_row(EQUAL_WEIGHT, r["equal_weight"], exposure=1.0 + 0.0 * r["nifty50"]),
    ]
    for row in perf[2:]:
        row["turnover"] = None
    student_row = perf[0]
    briefing: dict[str, Any] = {
        "schema_version": 1,
        "run_id": "20240101-000000-abcdef",
        "created_at": "2024-01-01T00:00:00+05:30",
        "config_name": "synthetic",
        "universe": {"name": "nifty50", "n_symbols": 2, "symbols": SYMBOLS}
        | ({"industries": INDUSTRIES} if full else {}),
        "oos": {"start": ts[0].date().isoformat(), "end": ts[-1].date().isoformat()},
        "data_range": "2017-01-02 to 2022-01-31",
        "decision": "gates-failed",
        "decision_reason": "1 of 2 gates failed: dsr",
        "gates": [
            {"name": "dsr", "passed": False, "value": 0.42, "threshold": 0.95,
             "comparison": ">=", "explanation": "Deflated Sharpe ratio 0.42 is not >= 0.95"},
            {"name": "oos_days", "passed": True, "value": float(n), "threshold": 250.0,
             "comparison": ">=", "explanation": f"OOS sessions {n} >= 250"},
        ],
        "headline": {"decision": "gates-failed", "sharpe": student_row["sharpe"],
                     "cagr": student_row["cagr"], "max_drawdown": student_row["max_drawdown"],
                     "mean_ic": 0.0123, "dsr": 0.42, "n_trials": 3},
        "performance": perf,
        "signal": {"student": {"mean_ic": 0.0123, "mean_rank_ic": 0.0151, "icir": 0.12,
                               "rank_icir": 0.15, "n_days": n},
                   "teacher-direct": {"mean_ic": 0.0101, "mean_rank_ic": 0.0111, "icir": 0.1,
                                      "rank_icir": 0.11, "n_days": n}},
        "alpha_beta": {"alpha": 0.031, "beta": 0.71, "convention": "OLS, alpha = daily x 252"},
        "bootstrap": {"estimate": student_row["sharpe"], "lower": -0.31, "upper": 1.27,
                      "confidence": 0.95, "reps": 500, "block_length": 4.0, "seed": 7},
        "psr": 0.912,
        "dsr": {"dsr": 0.42, "n_trials": 3, "trial_sr_variance": 1.1e-4, "sr0": 0.0125},
        "trials": [{"name": t, "sharpe": metrics.sharpe(trials[t]),
                    "sr_per_period": metrics.sharpe(trials[t]) / math.sqrt(252)}
                   for t in TRIALS],
        "windows": {"counts": {"planned": 10, "trained": 9, "skipped": 1, "failed": 0}},
        "notes": {"benchmark": "Benchmark: NIFTY 50 price index, no total-return index available.",
                  "survivorship": "Survivorship bias: today's members only.",
                  "costs": "NSE delivery costs + 5 bp slippage"},
        "manifest": "manifest.yaml",
        "artifacts": {},
        "na_reasons": {},
    }  # fmt: skip
    if zero_trades:
        for key in ("sharpe", "sortino", "hit_rate"):
            student_row[key] = None
        briefing["bootstrap"] = None
        briefing["psr"] = None
        briefing["zero_trades"] = True
    if full:
        briefing |= {
            "comparisons": [
                {"name": "student - teacher-direct", "metric": "sharpe", "estimate": 0.27,
                 "lower": -0.52, "upper": 1.06, "confidence": 0.95, "reps": 500,
                 "block_length": 4.0, "seed": 7},
            ],
            "bootstrap_extra": {
                "mean_excess_return": {"estimate": 0.0234, "lower": -0.0411, "upper": 0.0876,
                                       "confidence": 0.95, "reps": 500, "block_length": 4.0,
                                       "seed": 7},
                "mean_ic": {"estimate": 0.0123, "lower": 0.0021, "upper": 0.0222,
                            "confidence": 0.95, "reps": 500, "block_length": 4.0, "seed": 7},
            },
            "snooping": {
                "spa": {"benchmark": "NIFTY 50 (price index)", "pvalue_consistent": 0.314,
                        "pvalue_lower": 0.201, "pvalue_upper": 0.402, "reps": 500,
                        "block_length": 4.0, "seed": 7, "n_models": 3},
                "stepm": {"superior": ["student top5"]},
                "pbo": {"pbo": 0.625, "n_splits": 8, "n_combinations": 70,
                        "tie_rule": "ties count as overfit", "lambda_median": -0.21},
            },
            "min_track_record_length": {"sessions": 1834.2, "years": 7.28},
            "comparison": COMPARISON,
            "comparison_verdict": VERDICT,
            "ic_by_year": [
                {"year": 2019, "mean_ic": 0.0211, "mean_rank_ic": 0.0199, "n_days": 261},
                {"year": 2020, "mean_ic": -0.0042, "mean_rank_ic": 0.0011, "n_days": 262},
            ],
            "deciles": [{"decile": d, "mean_fwd_return": 0.0005 * (d - 5)} for d in range(1, 11)],
            "decile_spread": 0.0045,
            "zero_trades": zero_trades,
            "stress": {
                "periods": [
                    {"name": "COVID crash", "start": "2020-02-19", "end": "2020-03-23",
                     "kind": "historical", "model_period_id": 4,
                     "model_train_end": "2019-12-31", "resilience_score": 61.25,
                     "failure_mode": "resilient", "failure_rule": "resilience score >= 60",
                     "rows": [
                         {"name": "student", "total_return": -0.1834, "max_drawdown": 0.2101,
                          "sharpe": -3.1, "sortino": -4.2, "hit_rate": 0.41,
                          "precision": 0.38, "recall": 0.52},
                         {"name": "NIFTY 50 (price index)", "total_return": -0.3562,
                          "max_drawdown": 0.3801, "sharpe": -4.0, "sortino": -5.0,
                          "hit_rate": 0.35, "precision": None, "recall": None},
                     ]},
                ],
                "resilience_formula": "100 * (0.5 * clip(...) + 0.5 * clip(...))",
                "worst_period_loss": -0.1834,
                "skipped": [{"name": "Lehman", "reason": "before the OOS range"}],
                "failure_rules": {"resilient": "resilience score >= 60",
                                  "unexplained": "none of the above"},
            },
        }  # fmt: skip
    (run / "promotion_briefing.json").write_text(json.dumps(_clean(briefing), indent=2))
    return run


class _Sections(HTMLParser):
    """Collect the text, <img> sources and <svg> count of every <section id=...>."""

    def __init__(self) -> None:
        super().__init__()
        self.text: dict[str, str] = {}
        self.imgs: dict[str, list[str]] = {}
        self.svgs: dict[str, int] = {}
        self.plotly: dict[str, int] = {}
        self.order: list[str] = []
        self._script = False
        self.hrefs: list[str] = []
        self._current: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section":
            self._current = a.get("id") or ""
            self.order.append(self._current)
            self.text[self._current], self.imgs[self._current] = "", []
            self.svgs[self._current] = self.plotly[self._current] = 0
        elif tag in ("a", "link") and a.get("href"):
            self.hrefs.append(a["href"] or "")
        if self._current is not None and tag == "img":
            self.imgs[self._current].append(a.get("src") or "")
        if self._current is not None and tag == "svg":
            self.svgs[self._current] += 1
        if tag == "script":
            self._script = True
        if (
            self._current is not None
            and tag == "div"
            and "plotly-graph-div" in (a.get("class") or "")
        ):
            self.plotly[self._current] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self._current = None
        if tag == "script":
            self._script = False

    def handle_data(self, data: str) -> None:
        if self._current is not None and not self._script:
            self.text[self._current] += data


def parse(html_text: str) -> _Sections:
    parser = _Sections()
    parser.feed(html_text)
    return parser


def _stub_figure_html(fig: Any, alt: str, *, fmt: str = "png") -> str:
    fig.clear()  # skip drawing: these tests look at text, not pixels
    return '<img src="data:image/png;base64,iVBORw0KGgo=" alt="stub">'


@pytest.fixture()
def fast_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip PNG encoding (the slow part) in tests that check text only."""
    monkeypatch.setattr(fg, "figure_html", _stub_figure_html)


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, _Sections]:
    run = make_run_dir(tmp_path_factory.mktemp("full"))
    path = write_report(run)
    text = path.read_text(encoding="utf-8")
    return run, text, parse(text)


@pytest.fixture(scope="module")
def legacy_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, _Sections]:
    run = make_run_dir(tmp_path_factory.mktemp("legacy"), full=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fg, "figure_html", _stub_figure_html)
        return run, parse(render_report(run))


# --------------------------------------------------------------------------- tests


def test_every_section_present_in_order_with_content(
    full_run: tuple[Path, str, _Sections],
) -> None:
    run, text, doc = full_run
    assert (run / REPORT_NAME).is_file()
    assert doc.order == SECTION_IDS
    for sid, title in SECTIONS:
        body = doc.text[sid].replace(title, "", 1).strip()
        assert len(body) > 20, f"section {sid} is empty"
    assert "could not render" not in text
    assert "n/a" not in doc.text["summary"]
    for sid in ("equity", "underwater", "rolling", "ic", "deciles", "importance", "trials",
                "stress"):  # fmt: skip
        assert doc.imgs[sid], f"section {sid} has no image"
        assert all(src.startswith("data:image/png;base64,") for src in doc.imgs[sid])


def test_summary_numbers_equal_the_briefing(full_run: tuple[Path, str, _Sections]) -> None:
    run, _, doc = full_run
    briefing = json.loads((run / "promotion_briefing.json").read_text())
    summary = doc.text["summary"]
    rows = {r["name"]: r for r in briefing["performance"]}
    for name in ("student", "NIFTY 50 (price index)", EQUAL_WEIGHT):
        for key, kind in (("cagr", "pct"), ("sharpe", "ratio"), ("max_drawdown", "pct"),
                          ("total_return", "pct"), ("volatility", "pct")):  # fmt: skip
            assert fmt_number(rows[name][key], kind) in summary, (name, key)
    assert "gates-failed" in summary
    assert fmt_number(briefing["headline"]["mean_ic"], "ic") in summary
    assert fmt_number(briefing["dsr"]["dsr"], "prob") in summary
    assert "total-return index" in summary and "Survivorship" in summary
    gates = doc.text["gates"]
    assert "Deflated Sharpe ratio 0.42 is not >= 0.95" in gates
    assert "FAIL" in gates and "PASS" in gates


def test_numbers_recomputed_from_saved_returns_appear(
    full_run: tuple[Path, str, _Sections],
) -> None:
    run, _, doc = full_run
    r = pd.read_parquet(run / "returns" / "daily.parquet").set_index("timestamp")
    s = r["student_net"]
    when = pd.DatetimeIndex(s.index)
    march = s[(when.year == 2020) & (when.month == 3)]
    assert fmt_number(float(np.prod(1 + march) - 1), "pct") in doc.text["monthly"]
    year = s[when.year == 2020]
    assert fmt_number(float(np.prod(1 + year) - 1), "pct") in doc.text["monthly"]
    for col in ("student_net", "nifty50", "equal_weight", "teacher_direct_net"):
        final = float(np.prod(1 + r[col]))
        assert fmt_number(final, "growth") in doc.text["equity"], col
    last = metrics.sharpe(s.iloc[-252:])
    assert fmt_number(last, "ratio") in doc.text["rolling"]
    _, beta = metrics.alpha_beta(s.iloc[-252:], r["nifty50"].iloc[-252:])
    assert fmt_number(beta, "ratio") in doc.text["rolling"]


def test_briefing_evidence_rendered(full_run: tuple[Path, str, _Sections]) -> None:
    _, _, doc = full_run
    assert "0.0211" in doc.text["ic"] and "-0.0042" in doc.text["ic"]
    assert "0.45 %" in doc.text["deciles"]  # decile spread, 2 decimals
    assert "-0.20 %" in doc.text["deciles"]  # decile 1 mean forward return
    ts = doc.text["teacher-student"]
    assert "student - teacher-direct" in ts and "-0.52" in ts and "1.06" in ts
    trials = doc.text["trials"]
    assert "0.314" in trials and "0.625" in trials and "ties count as overfit" in trials
    assert "student top5" in trials and "yes" in trials
    stress = doc.text["stress"]
    assert "COVID crash" in stress and "-18.3 %" in stress and "61.2" in stress
    assert "100 * (0.5 * clip" in stress and "Lehman" in stress
    assert "none of the above" in stress  # failure-mode rules
    assert "n/a (a baseline makes no predictions)" in stress  # NIFTY precision is null
    stats = doc.text["statistics"]
    assert "2.3 %" in stats and "-4.1 %" in stats  # mean excess return CI
    assert "1,834.2 sessions" in stats and "7.28 years" in stats
    assert "0.912" in stats and "0.420" in stats and "N = 3" in stats
    assert "OLS, alpha = daily x 252" in stats


def test_importance_reads_the_release_student(full_run: tuple[Path, str, _Sections]) -> None:
    run, _, doc = full_run
    booster = lightgbm.Booster(model_file=str(run / "models" / "student.txt"))
    gains = dict(zip(booster.feature_name(), booster.feature_importance("gain"), strict=True))
    top = max(gains, key=gains.__getitem__)
    text = doc.text["importance"]
    assert top in text
    assert fmt_number(gains[top], "gain") in text
    assert fmt_number(gains[top] / sum(gains.values()), "pct") in text


def test_missing_keys_render_not_computed(legacy_run: tuple[Path, _Sections]) -> None:
    _, doc = legacy_run
    assert NA_NOT_COMPUTED in doc.text["ic"]  # ic_by_year
    deciles = doc.text["deciles"]
    assert NA_NOT_COMPUTED in deciles and "%" not in deciles and not doc.imgs["deciles"]
    assert NA_NOT_COMPUTED in doc.text["teacher-student"]  # comparisons
    assert NA_NOT_COMPUTED in doc.text["trials"]  # SPA/StepM/PBO
    assert "StepM: beats" not in doc.text["trials"]
    assert "Not run" in doc.text["stress"]
    stats = doc.text["statistics"]
    assert stats.count(NA_NOT_COMPUTED) >= 3  # two bootstrap_extra rows + min TRL
    assert doc.imgs["equity"] and doc.imgs["importance"]  # artifacts still plotted


@pytest.mark.usefixtures("fast_figures")
def test_zero_trade_run_says_so(tmp_path: Path) -> None:
    run = make_run_dir(tmp_path, zero_trades=True)
    doc = parse(render_report(run))
    summary = doc.text["summary"]
    assert "The strategy never traded" in summary
    assert f"n/a ({NEVER_TRADED})" in summary  # student Sharpe is null
    assert "nan" not in summary.lower().replace("financ", "")
    assert f"n/a ({NEVER_TRADED})" in doc.text["statistics"]  # bootstrap is null
    assert f"n/a ({NEVER_TRADED})" in doc.text["rolling"]  # zero variance windows


@pytest.mark.usefixtures("fast_figures")
def test_zero_trades_detected_from_turnover(tmp_path: Path) -> None:
    run = make_run_dir(tmp_path, zero_trades=True, full=False)
    briefing = json.loads((run / "promotion_briefing.json").read_text())
    briefing.pop("zero_trades")
    (run / "promotion_briefing.json").write_text(json.dumps(briefing))
    assert "The strategy never traded" in parse(render_report(run)).text["summary"]


def test_no_external_references(full_run: tuple[Path, str, _Sections]) -> None:
    _, text, doc = full_run
    bundle = plotly_bundle()
    assert text.count(PLOTLY_MARKER) == 1 and text.count(bundle) == 1  # plotly.js once, inline
    own = text.replace(bundle, "")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", own, re.IGNORECASE)
    assert "url(" not in own and "@import" not in own
    assert not re.search(r"<script[^>]*\ssrc\s*=", text, re.IGNORECASE)  # no script file
    assert "cdn.plot.ly" not in own
    assert all(h.startswith("#") or "/" not in h for h in doc.hrefs)
    assert "manifest.yaml" in doc.hrefs and "promotion_briefing.md" in doc.hrefs
    assert len(own.encode()) < 3_000_000


def test_text_is_escaped(full_run: tuple[Path, str, _Sections]) -> None:
    _, text, doc = full_run
    assert "M&amp;M&lt;x&gt;" in text and "<x>" not in text
    assert "M&M<x>" in doc.text["data-notes"]


@pytest.mark.usefixtures("fast_figures")
def test_minimal_run_directory_never_crashes(tmp_path: Path) -> None:
    run = make_run_dir(tmp_path, full=False)
    for rel in ("returns", "models"):
        for f in (run / rel).iterdir():
            f.unlink()
    doc = parse(render_report(run))
    assert doc.order == SECTION_IDS
    assert "returns/daily.parquet not in the run directory" in doc.text["equity"]
    assert "models/student.txt not in the run directory" in doc.text["importance"]
    assert doc.text["summary"].count("n/a") == 0  # summary numbers come from the briefing


@pytest.mark.usefixtures("fast_figures")
def test_malformed_artifact_only_breaks_its_sections(tmp_path: Path) -> None:
    run = make_run_dir(tmp_path, full=False)
    path = run / "returns" / "daily.parquet"
    pd.read_parquet(path).drop(columns=["nifty50"]).to_parquet(path)
    doc = parse(render_report(run))
    assert "could not render: KeyError" in doc.text["equity"]
    assert "could not render" not in doc.text["monthly"]
    assert doc.imgs["importance"]


def test_missing_briefing_raises(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match=r"promotion_briefing\.json"):
        write_report(tmp_path)


def test_matplotlib_global_state_untouched() -> None:
    import matplotlib.pyplot as plt

    backend, rc = matplotlib.get_backend(), dict(matplotlib.rcParams)
    idx = pd.bdate_range("2021-01-01", periods=300, tz=IST)
    series = {"student": pd.Series(np.linspace(1, 2, 300), index=idx)}
    assert fg.lines_figure([fg.LinePanel(series, "growth", log=True)], "x").startswith("<img")
    assert fg.bar_figure(["a", "b"], [0.01, -0.02], "y", percent=True).startswith("<img")
    assert fg.grouped_bar_figure(["p"], {"student": [-0.1]}, "z", ylabel="r").startswith("<img")
    assert matplotlib.get_backend() == backend
    assert plt.get_fignums() == []
    assert dict(matplotlib.rcParams) == rc


def test_write_is_atomic_and_leaves_no_temp(full_run: tuple[Path, str, _Sections]) -> None:
    run, text, _ = full_run
    assert text.startswith("<!DOCTYPE html>")
    assert not [p for p in run.iterdir() if p.name.endswith(".tmp")]


# --------------------------------------------------------------------------- figures


def test_heat_colors() -> None:
    colors = fg.heat_colors(np.array([-0.2, 0.0, 0.2, np.nan]), 0.1)
    assert colors[3] == ""
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colors[:3])
    red, green = int(colors[0][1:3], 16), int(colors[2][3:5], 16)
    assert red > int(colors[0][3:5], 16) and green > int(colors[2][1:3], 16)


def test_figure_html_svg_is_inline_and_png_is_data_uri() -> None:
    series = {"student": pd.Series([1.0, 1.1, 1.05], index=pd.bdate_range("2021-01-01", periods=3))}
    png = fg.lines_figure([fg.LinePanel(series, "growth")], 'a "quoted" <alt>')
    assert png.startswith('<img src="data:image/png;base64,')
    assert "&quot;quoted&quot; &lt;alt&gt;" in png
    fig = fg._figure(2.0)
    fig.subplots().plot([0, 1], [0, 1])
    svg = fg.figure_html(fig, "line", fmt="svg")
    assert svg.startswith("<svg") and 'aria-label="line"' in svg and "<?xml" not in svg


def test_comparison_section_shows_every_row_and_the_verdict(
    full_run: tuple[Path, str, _Sections],
) -> None:
    _, text, doc = full_run
    assert SECTION_IDS.index("comparison") == SECTION_IDS.index("summary") + 1
    section = doc.text["comparison"]
    for row in COMPARISON:
        assert row["name"] in section and row["label"] in section
    for value in ("0.0344", "0.0342", "0.29", "0.91", "16.2 %", "-22.4 %", "91.1 %", "96.3 %",
                  "11.3x", "800", "0.61", "-38.0 %", "0.4x", "100.0 %"):  # fmt: skip
        assert value in section, value
    assert "n/a (no score for this series)" in section
    assert "n/a (no exposure series)" in section and "n/a (no turnover series)" in section
    assert VERDICT in section and "<b>." not in text  # escaped
    for header in ("Rank IC", "ICIR", "net Sharpe", "exposure", "time in market", "series"):
        assert header in section
    assert "what each series is" in section  # the description sits under each name


def test_summary_shows_exposure_next_to_sharpe(full_run: tuple[Path, str, _Sections]) -> None:
    run, _, doc = full_run
    briefing = json.loads((run / "promotion_briefing.json").read_text())
    student = briefing["performance"][0]
    summary = doc.text["summary"]
    assert "Sharpe" in summary and "Mean exposure" in summary and "Time in market" in summary
    assert fmt_number(student["exposure"], "pct") in summary
    assert fmt_number(student["time_in_market"], "pct") in summary
    assert "Exposure" in doc.text["teacher-student"]


def test_missing_comparison_says_why(legacy_run: tuple[Path, _Sections]) -> None:
    _, doc = legacy_run
    assert "n/a (no comparison computed in this run)" in doc.text["comparison"]


@pytest.mark.usefixtures("fast_figures")
def test_substituted_series_labelled_as_what_they_are(tmp_path: Path) -> None:
    """An intraday run without NIFTY 50 bars: its stored ``series_labels`` name every
    benchmark and equal-weight row, header and stress column; a gate that was not evaluated
    says so (neither PASS nor FAIL)."""
    run = make_run_dir(tmp_path)
    labels = {
        "benchmark": "equal-weight basket over the same 5minute bars (no costs)",
        "equal_weight": "equal-weight intraday basket, MIS costs, squared off",
        "benchmark_short": "basket",
        "equal_weight_short": "intraday basket",
    }
    path = run / "promotion_briefing.json"
    b = json.loads(path.read_text())
    renamed = {"NIFTY 50 (price index)": labels["benchmark"], EQUAL_WEIGHT: labels["equal_weight"]}
    for row in b["performance"]:
        row["name"] = renamed.get(row["name"], row["name"])
    b["series_labels"] = labels
    b["stress"]["benchmark"] = labels["benchmark"]
    for p in b["stress"]["periods"]:
        for row in p["rows"]:
            row["name"] = renamed.get(row["name"], row["name"])
    b["gates"].append(
        {"name": "worst_stress_loss", "passed": False, "value": None, "threshold": 0.4,
         "comparison": "<=", "explanation": "not evaluated: no stress scenario applies",
         "evaluated": False}
    )  # fmt: skip
    path.write_text(json.dumps(b))
    doc = parse(render_report(run))
    summary = doc.text["summary"]
    assert labels["benchmark"] in summary and labels["equal_weight"] in summary
    assert "NIFTY 50 (price index)" not in summary and EQUAL_WEIGHT not in summary
    assert "NOT EVALUATED" in doc.text["gates"]
    stress = doc.text["stress"]
    assert labels["benchmark"] in stress and "-35.6 %" in stress  # the benchmark's return
    assert "Alpha and beta vs NIFTY 50" not in doc.text["statistics"]
