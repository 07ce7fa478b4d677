"""Erroneous opening prints and OHLC repair (sensequant.data.quality.opens, issue 10)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sensequant.data.market import nse_sessions
from sensequant.data.quality import clean_bars
from sensequant.data.quality.opens import OPEN_GAP, suspect_opens


def _bars(
    opens: list[float], closes: list[float], highs: list[float] | None = None
) -> pd.DataFrame:
    ts = nse_sessions("2024-01-01", "2024-03-31")[: len(closes)]
    o, c = np.array(opens), np.array(closes)
    h = np.maximum(o, c) if highs is None else np.array(highs)
    return pd.DataFrame(
        {"timestamp": ts, "open": o, "high": h, "low": np.minimum(o, c), "close": c,
         "volume": 100.0}
    )  # fmt: skip


def test_open_far_from_both_closes_is_suspect_a_gap_is_not() -> None:
    closes = [100.0] * 12
    opens = [100.0] * 12
    opens[3] = 100 * (1 + OPEN_GAP) + 1  # opens at the high, closes back at 100: a stray print
    opens[6] = 92.0  # a real gap down ...
    closes[6] = 91.0  # ... that stays down
    closes[7:] = [91.0] * 5
    opens[7:] = [91.0] * 5
    flagged = suspect_opens(_bars(opens, closes))
    assert flagged.tolist() == [i == 3 for i in range(12)]


def test_clean_bars_flags_suspect_opens_and_repairs_only_when_asked() -> None:
    closes = [100.0] * 12
    opens = [100.0] * 12
    opens[3] = 110.0
    bars = _bars(opens, closes)
    bars.loc[5, "high"] = 99.0  # high below open and close
    result = clean_bars(bars, symbol="GOLDBEES", interval="1day")
    kinds = {f.kind: f for f in result.findings}
    assert kinds["suspect_open"].count == 1 and "do not trust them as fill prices" in (
        kinds["suspect_open"].detail
    )
    assert kinds["ohlc_inconsistent"].count == 1 and result.bars["high"].iloc[5] == 99.0
    repaired = clean_bars(bars, symbol="GOLDBEES", interval="1day", repair_ohlc=True)
    assert {f.kind for f in repaired.findings} >= {"ohlc_repaired", "suspect_open"}
    assert repaired.bars["high"].iloc[5] == 100.0
    assert result.bars["open"].iloc[3] == 110.0  # flagged, never changed
