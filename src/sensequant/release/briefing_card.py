"""The Markdown briefing's first sections: the strategy card and exposure / costs (see
:mod:`sensequant.release.briefing_md`). Text only; the numbers come from
:class:`~sensequant.release.briefing.BriefingData`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import yaml

from sensequant.release.briefing import STUDENT, BriefingData, briefing_to_dict
from sensequant.release.strategy_card import card_markdown, card_rows

CHARGE_NAMES: Final[dict[str, str]] = {
    "stt": "STT",
    "exchange_txn": "exchange transaction charge",
    "ipft": "IPFT",
    "sebi_fee": "SEBI fee",
    "stamp_duty": "stamp duty",
    "brokerage": "brokerage",
    "dp_charge": "DP charge",
    "gst": "GST",
    "slippage": "slippage (modelled)",
}
"""Name of each charge of ``BriefingData.costs["paid_inr"]``, in table order."""


def _pct(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value * 100:.1f} %"
    return "n/a (not computed in this run)"


def strategy_md(data: BriefingData, run_dir: Path) -> list[str]:
    """The strategy card as Markdown, from ``run_dir/config.yaml`` and the briefing.

    A missing or unreadable ``config.yaml`` is named; the card is then not shown.
    """
    path = run_dir / "config.yaml"
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return [f"n/a ({path.name} not readable in the run directory)"]
    if not isinstance(config, dict):
        return [f"n/a ({path.name} is not a mapping)"]
    return card_markdown(card_rows(config, briefing_to_dict(data), None))


def exposure_costs_md(data: BriefingData) -> list[str]:
    """Exposure and time in market of the student, gross vs net, rupees paid per charge."""
    student = data.row(STUDENT) or {}
    out = [
        f"- exposure: {_pct(student.get('exposure'))} of equity invested on average; in the "
        f"market on {_pct(student.get('time_in_market'))} of sessions "
        f"({data.labels.benchmark} is always 100 % invested; cash earns nothing)",
    ]
    c = data.costs
    if not c:
        return [*out, "- costs by charge: n/a (not computed in this run)"]
    out.append(
        f"- gross vs net: total return {_pct(c.get('gross_total_return'))} before costs, "
        f"{_pct(c.get('net_total_return'))} after; CAGR {_pct(c.get('gross_cagr'))} vs "
        f"{_pct(c.get('net_cagr'))}"
    )
    paid = c.get("paid_inr") or {}
    total = float(paid.get("total") or 0.0)
    out.append(
        f"- {c.get('n_trades', 0)} trades, Rs {float(c.get('traded_inr') or 0):,.0f} traded, "
        f"Rs {total:,.0f} paid (starting capital Rs {float(c.get('capital_inr') or 0):,.0f}):"
    )
    out += ["", "| charge | rupees | share |", "|---|---:|---:|"]
    for key, name in CHARGE_NAMES.items():
        value = float(paid.get(key) or 0.0)
        share = f"{value / total * 100:.1f} %" if total > 0 else "n/a (nothing paid)"
        out.append(f"| {name} | Rs {value:,.2f} | {share} |")
    out.append(f"| **total** | **Rs {total:,.2f}** | 100.0 % |")
    return out
