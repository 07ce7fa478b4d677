"""OHLC repair and the import's ``bad_print`` finding (issue 10): one rule with the breaks."""

from __future__ import annotations

import pandas as pd

from sensequant.data.market import nse_sessions
from sensequant.data.quality import clean_bars, detect_breaks
from sensequant.data.quality.breaks import BAD_PRINT_FLOOR, VOL_MIN_RETURNS, bad_prints
from tests.conftest import make_daily_bars

STRAY, FAR, GAP = 40, 55, 70


def _bars() -> pd.DataFrame:
    """90 sessions (1.5 % daily sigma): a stray open at the high 8 % above both closes
    (STRAY), an open 25 % under both closes inside the range (FAR), a real gap that stays
    (GAP), and an early stray open before the volatility is known."""
    bars = make_daily_bars(90, seed=11)
    bars["timestamp"] = nse_sessions("2024-01-01", "2024-06-30")[:90]
    c = bars["close"]
    for row, factor in ((STRAY, 1.08), (5, 1.5)):
        top = max(c[row], c[row - 1]) * factor
        bars.loc[row, ["open", "high"]] = top
    low = min(c[FAR], c[FAR - 1])
    bars.loc[FAR, "open"] = low * 0.75
    bars.loc[FAR, "low"] = low * 0.70  # the open is not the day's low
    prices = ["open", "high", "low", "close"]
    bars.loc[GAP:, prices] *= 1.12  # gap up 12 % that stays: the open is the new close level
    return bars


def test_bad_prints_one_rule() -> None:
    bars = _bars()
    mask = bad_prints(bars)
    assert mask.nonzero()[0].tolist() == [STRAY, FAR]  # row 5: volatility not known yet
    assert VOL_MIN_RETURNS >= 5
    # a stray print just under the floor is not flagged
    near = _bars()
    c = near["close"]
    near.loc[STRAY, ["open", "high"]] = max(c[STRAY], c[STRAY - 1]) * (1 + BAD_PRINT_FLOOR * 0.9)
    assert not bad_prints(near)[STRAY]
    # without high/low columns only the volatility-scaled clause decides
    assert bad_prints(bars[["timestamp", "open", "close"]]).nonzero()[0].tolist() == [FAR]


def test_import_finding_and_breaks_agree_repair_only_when_asked() -> None:
    bars = _bars()
    bars.loc[20, "high"] = bars.loc[20, ["open", "close"]].min() * 0.99  # high below open/close
    result = clean_bars(bars, symbol="GOLDBEES", interval="1day")
    kinds = {f.kind: f for f in result.findings}
    finding = kinds["bad_print"]
    assert finding.count == 2 and "never used as fill prices" in finding.detail
    breaks = detect_breaks(result.bars, "GOLDBEES")
    flagged = {pd.Timestamp(t).date() for t in result.bars["timestamp"][bad_prints(result.bars)]}
    assert {b.session_date for b in breaks if b.kind == "bad_print"} == flagged
    assert kinds["ohlc_inconsistent"].count == 1
    repaired = clean_bars(bars, symbol="GOLDBEES", interval="1day", repair_ohlc=True)
    assert {f.kind for f in repaired.findings} >= {"ohlc_repaired", "bad_print"}
    assert repaired.bars["high"].iloc[20] == repaired.bars[["open", "close"]].iloc[20].max()
    assert result.bars["open"].iloc[STRAY] == bars["open"].iloc[STRAY]  # flagged, never changed
    # indices and intraday series give no bad_print finding (breaks are daily, not indices)
    index = clean_bars(bars, symbol="NIFTY 50", interval="1day", is_index=True)
    assert "bad_print" not in {f.kind for f in index.findings}
