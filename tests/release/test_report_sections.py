"""The reviewer-facing sections of the HTML report (issue 13): strategy card, exposure, costs
by charge, excess return, worst drawdowns, yearly returns, distribution, holdings, turnover;
each recomputed from the synthetic run's own files, and each stating why when it cannot be
computed."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
import yaml

from sensequant.evaluation import metrics
from sensequant.evaluation import series_metrics as sm
from sensequant.release.report import SECTIONS, render_report, write_report
from sensequant.release.report_costs import COMPONENT_LABELS
from sensequant.release.report_portfolio import NO_INDUSTRY
from sensequant.release.report_tearsheet import quantstats_module
from tests.release.test_report import (
    COMPONENTS,
    CONFIG,
    INDUSTRIES,
    SYMBOLS,
    _Sections,
    fmt_number,
    make_run_dir,
    parse,
)

NEW_SECTIONS = (
    "strategy", "exposure", "costs", "excess", "drawdowns", "yearly", "distribution",
    "holdings", "turnover",
)  # fmt: skip
PLOTLY_SECTIONS = ("exposure", "costs", "excess", "yearly", "distribution", "holdings",
                   "turnover")  # fmt: skip


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, _Sections]:
    run = make_run_dir(tmp_path_factory.mktemp("sections"))
    text = write_report(run).read_text(encoding="utf-8")
    return run, text, parse(text)


@pytest.fixture(scope="module")
def legacy(tmp_path_factory: pytest.TempPathFactory) -> _Sections:
    return parse(render_report(make_run_dir(tmp_path_factory.mktemp("legacy"), full=False)))


def _daily(run: Path) -> pd.DataFrame:
    return pd.read_parquet(run / "returns" / "daily.parquet").set_index("timestamp")


def test_strategy_card_comes_first_and_says_what_the_run_did(
    full: tuple[Path, str, _Sections],
) -> None:
    _, _, doc = full
    assert next(s for s, _ in SECTIONS) == "strategy" and doc.order[0] == "strategy"
    card = doc.text["strategy"]
    for needle in (
        "Forward return over 7 sessions",  # label horizon
        "+0.65 x σ x √7",  # threshold
        "last 20 daily close-to-close returns",
        "cross-sectional rank",  # target
        "hold the 10 stocks with the highest",  # portfolio rule
        "each at 1/10 of equity",
        "within the top 20",  # hold buffer
        "Every 5 sessions",
        "at most 20% invested",  # 2 stocks, top 10
        "NSE delivery costs + 5 bp slippage",  # costs note
        "Every return is net of these costs",
        "NIFTY 50 (price index): the index's daily close-to-close returns",
        "reset to 1/n at the first session of each month",
        "No student at all: each stock is predicted by its own latest teacher",
        "Automobile & Auto <Parts>",  # sectors, escaped
        "3 configurations",
    ):
        assert needle in card, needle
    for row in json.loads((full[0] / "promotion_briefing.json").read_text())["comparison"]:
        assert row["name"] in card and row["label"] in card  # every baseline defined


def test_every_new_section_is_filled_with_an_interactive_chart(
    full: tuple[Path, str, _Sections],
) -> None:
    _, text, doc = full
    assert "could not render" not in text
    for sid in NEW_SECTIONS:
        assert len(doc.text[sid].strip()) > 80, sid
        assert "n/a" not in doc.text[sid], (sid, doc.text[sid][:400])
    for sid in PLOTLY_SECTIONS:
        assert doc.plotly[sid] >= 1, f"no plotly chart in {sid}"
    assert doc.plotly["holdings"] == 2  # names and sectors


def test_exposure_numbers_recompute_from_daily(full: tuple[Path, str, _Sections]) -> None:
    run, _, doc = full
    expo = _daily(run)["student_exposure"]
    text = doc.text["exposure"]
    assert fmt_number(float(expo.mean()), "pct") in text
    assert fmt_number(float((expo <= 1e-9).mean()), "pct") in text  # all-cash share
    assert "always 100 % invested" in text
    assert "most the portfolio rule can invest" in text and "20.0 %" in text
    # the run's 20 % ceiling is below the exposure alert threshold: the section alerts
    assert 'class="alert"' in full[1].split('id="exposure"')[1][:400]


def test_costs_by_component_and_gross_vs_net(full: tuple[Path, str, _Sections]) -> None:
    run, _, doc = full
    comp = pd.read_parquet(run / "returns" / "cost_components.parquet")
    text = doc.text["costs"]
    for c in COMPONENTS:
        assert COMPONENT_LABELS[c] in text
    for c in ("stt", "slippage", "dp_charge"):
        assert f"Rs {comp[c].sum():,.0f}" in text, c
    assert f"Rs {comp['cost_inr'].sum():,.0f} paid" in text
    assert f"{len(comp)} trades (12 buys, 12 sells)" in text
    d = _daily(run)
    gross = float((1 + d["student_gross"]).prod() - 1)
    net = float((1 + d["student_net"]).prod() - 1)
    assert fmt_number(gross, "pct") in text and fmt_number(net, "pct") in text
    assert fmt_number(gross - net, "pct") in text


def test_excess_drawdowns_and_yearly_recompute(full: tuple[Path, str, _Sections]) -> None:
    run, _, doc = full
    d = _daily(run)
    s, n = d["student_net"], d["nifty50"]
    rel = sm.growth_of_one(s) / sm.growth_of_one(n) - 1
    assert fmt_number(float(rel.iloc[-1]), "pct") in doc.text["excess"]
    ir = metrics.information_ratio(s, n)
    assert fmt_number(ir, "ratio") in doc.text["excess"]
    depth = metrics.max_drawdown(s).depth
    assert fmt_number(depth, "pct") in doc.text["drawdowns"]  # the deepest episode
    assert "quantstats" in doc.text["drawdowns"]
    idx = pd.DatetimeIndex(s.index)
    year = float((1 + s[idx.year == 2020]).prod() - 1)
    nifty_year = float((1 + n[idx.year == 2020]).prod() - 1)
    yearly = doc.text["yearly"]
    assert fmt_number(year, "pct") in yearly and fmt_number(year - nifty_year, "pct") in yearly
    assert "calendar years" in yearly


def test_distribution_uses_quantstats(full: tuple[Path, str, _Sections]) -> None:
    run, _, doc = full
    s = _daily(run)["student_net"]
    qs = quantstats_module()
    naive = s.set_axis(pd.DatetimeIndex(s.index).tz_localize(None))
    text = doc.text["distribution"]
    assert fmt_number(float(qs.stats.skew(naive)), "ratio") in text
    assert fmt_number(float(qs.stats.worst(naive)), "pct2") in text
    assert "Computed by quantstats" in text


def test_holdings_top_names_sectors_and_turnover(full: tuple[Path, str, _Sections]) -> None:
    run, _, doc = full
    text = doc.text["holdings"]
    expo = _daily(run)["student_exposure"]
    assert fmt_number(float((expo * 2 / 3).mean()), "pct") in text  # RELIANCE mean weight
    for sym in SYMBOLS:
        assert sym in text and INDUSTRIES[sym] in text
    assert "Sector weights" in text
    t = _daily(run)["student_turnover"]
    assert fmt_number(float(t.mean()) * 252, "multiple") in doc.text["turnover"]


def test_sections_that_cannot_be_computed_say_why(legacy: _Sections) -> None:
    assert "returns/holdings.parquet not in the run directory" in legacy.text["holdings"]
    assert "returns/cost_components.parquet not in the run directory" in legacy.text["costs"]
    assert "Gross vs net" in legacy.text["costs"]  # the daily part still shows
    assert "no industries recorded" in legacy.text["strategy"]


def test_missing_industries_and_daily_returns(tmp_path: Path) -> None:
    run = make_run_dir(tmp_path)
    path = run / "promotion_briefing.json"
    brief = json.loads(path.read_text())
    brief["universe"].pop("industries")
    path.write_text(json.dumps(brief))
    assert NO_INDUSTRY in parse(render_report(run)).text["holdings"]
    (run / "returns" / "daily.parquet").unlink()
    doc = parse(render_report(run))
    for sid in ("exposure", "excess", "drawdowns", "yearly", "distribution", "turnover"):
        assert "returns/daily.parquet not in the run directory" in doc.text[sid], sid


def test_zero_trade_run_states_the_reason(tmp_path: Path) -> None:
    doc = parse(render_report(make_run_dir(tmp_path, zero_trades=True)))
    assert "no drawdown: the strategy never traded" in doc.text["drawdowns"]
    assert "n/a (the strategy never traded)" in doc.text["distribution"]


def test_quantstats_leaves_matplotlib_settings_alone(tmp_path: Path) -> None:
    rc = dict(matplotlib.rcParams)
    render_report(make_run_dir(tmp_path))
    assert dict(matplotlib.rcParams) == rc


def test_config_drives_the_portfolio_text(tmp_path: Path) -> None:
    run = make_run_dir(tmp_path)
    cfg = CONFIG | {"portfolio": CONFIG["portfolio"] | {"sizing": "threshold", "top_k": 1}}
    (run / "config.yaml").write_text(yaml.safe_dump(cfg))
    card = parse(render_report(run)).text["strategy"]
    assert "every stock that qualifies" in card and "(at most 1)" in card
    assert "this rule can be at most" not in card  # a threshold rule is fully invested
