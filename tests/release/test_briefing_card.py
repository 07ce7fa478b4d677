"""The Markdown briefing's strategy card and exposure / costs sections (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sensequant.release.briefing_card import CHARGE_NAMES, exposure_costs_md
from sensequant.release.briefing_md import write_briefing
from sensequant.release.strategy_card import TEACHER_DIRECT, card_rows, max_invested
from tests.release.test_briefing import make_data
from tests.release.test_report import CONFIG

COSTS = {
    "gross_total_return": 0.719, "net_total_return": 0.715, "gross_cagr": 0.1304,
    "net_cagr": 0.1297, "traded_inr": 1_449_781.0, "n_trades": 36, "capital_inr": 1e6,
    "paid_inr": {"stt": 1449.78, "exchange_txn": 47.55, "ipft": 0.0, "sebi_fee": 2.01,
                 "stamp_duty": 116.26, "brokerage": 0.0, "dp_charge": 260.0, "gst": 55.11,
                 "slippage": 724.89, "total": 2655.6},
}  # fmt: skip


def test_markdown_starts_with_the_strategy_card_and_costs(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(CONFIG))
    data = make_data()
    data.costs = COSTS
    md = write_briefing(tmp_path, data)["md"].read_text(encoding="utf-8")
    assert md.index("## Strategy card") < md.index("## Decision and gates")
    card = md.split("## Strategy card", 1)[1].split("\n## ", 1)[0]
    assert "- **Label**: Forward return over 7 sessions" in card
    assert "+0.65 x σ x √7" in card and "hold the 10 stocks" in card
    assert "**With 3 stocks in the universe this rule can be at most 30% invested" in card
    assert TEACHER_DIRECT in card
    costs = md.split("## Exposure and costs", 1)[1].split("\n## ", 1)[0]
    assert "before costs" in costs and "71.9 %" in costs and "71.5 %" in costs
    assert "| STT | Rs 1,449.78 | 54.6 % |" in costs
    assert "| **total** | **Rs 2,655.60** | 100.0 % |" in costs
    assert all(f"| {name} |" in costs for name in CHARGE_NAMES.values())


def test_missing_config_and_costs_say_why(tmp_path: Path) -> None:
    md = write_briefing(tmp_path, make_data())["md"].read_text(encoding="utf-8")
    assert "n/a (config.yaml not readable in the run directory)" in md
    assert "costs by charge: n/a (not computed in this run)" in "\n".join(
        exposure_costs_md(make_data())
    )


def test_card_rows_and_the_invested_ceiling() -> None:
    portfolio = CONFIG["portfolio"]
    assert max_invested(portfolio, 6) == pytest.approx(0.6)
    assert max_invested(portfolio, 40) == 1.0
    assert max_invested(portfolio | {"max_weight_per_symbol": 0.05}, 12) == pytest.approx(0.6)
    assert max_invested(portfolio | {"sizing": "scaled"}, 3) is None
    rows = {r.title: r for r in card_rows(CONFIG, {"universe": {"symbols": ["A"] * 12}}, 250)}
    assert rows["Portfolio rule"].warning == ""
    assert "250 sessions" in rows["Data"].text
    assert "n/a (no comparison computed in this run)" in rows["Every baseline compared"].text
    triple = CONFIG | {"labels": CONFIG["labels"] | {"method": "triple_barrier", "barrier_k": 1.5}}
    label = {r.title: r for r in card_rows(triple, {}, None)}["Label"].text
    assert "Triple barrier over 7 sessions" in label and "±1.5" in label
