"""Central type aliases and constants shared by every layer.

Conventions
-----------
* Timestamps are tz-aware ``Asia/Kolkata`` (IST). Daily bars are stamped at 00:00 IST of the
  session date; intraday bars at their START time.
* Returns are simple returns expressed as fractions (0.01 == 1 %).
* Costs are in basis points of traded notional unless a name says rupees.
"""

from __future__ import annotations

from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

IST: Final = "Asia/Kolkata"
"""Time zone of every timestamp SenseQuant stores or reports."""

Interval = Literal["1day", "30minute", "5minute", "1minute"]
INTERVALS: Final[tuple[str, ...]] = ("1day", "30minute", "5minute", "1minute")

INTERVAL_MINUTES: Final[dict[str, int]] = {"1minute": 1, "5minute": 5, "30minute": 30}
"""Bar length of each intraday interval in minutes."""
SESSION_MINUTES: Final = 375
"""Minutes of a regular NSE session (09:15-15:30 IST)."""

BAR_COLUMNS: Final[tuple[str, ...]] = ("timestamp", "open", "high", "low", "close", "volume")
"""Required bar-store columns, in order. Optional extras: ``OPTIONAL_BAR_COLUMNS``."""
OPTIONAL_BAR_COLUMNS: Final[tuple[str, ...]] = ("oi", "vwap", "trades", "delivery_volume")

CLASSES: Final[tuple[str, ...]] = ("down", "flat", "up")
"""Label classes, encoded 0, 1, 2 in this order."""
PROBA_COLUMNS: Final[tuple[str, ...]] = ("p_down", "p_flat", "p_up")
"""Column names of class-probability frames (soft labels, predictions)."""

BENCHMARK_SYMBOL: Final = "NIFTY 50"
"""Store symbol of the NIFTY 50 price index (the benchmark)."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Bars = pd.DataFrame
"""OHLCV frame: ``BAR_COLUMNS`` (+ optional columns), sorted unique tz-aware timestamps."""
