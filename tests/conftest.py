"""Shared test fixtures.

Real-data tests use :func:`shared_data`, which points at ``../shared/data`` beside the
project root and skips the test with a clear reason when that folder is absent (an outside
user's clone). Nothing from that folder is ever copied into the project.
"""

from __future__ import annotations

import os

# Tests run in parallel (pytest-xdist) on 2 cores: LightGBM's OpenMP threads spinning while
# they wait then starve each other (a 0.5 s fit took 47 s). Passive waiting, set before
# lightgbm is imported, avoids it. Production runs keep the default: there the student is
# the only multi-threaded process and spinning is faster.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sensequant.types import IST

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ``../shared/data``; skips the test when it is absent."""
    if not (SHARED_DATA / "nse_daily_yf").is_dir():
        pytest.skip(f"real NSE data not found at {SHARED_DATA} (clone ../shared beside the repo)")
    return SHARED_DATA


def make_daily_bars(n: int = 600, seed: int = 7, start: str = "2018-01-01") -> pd.DataFrame:
    """Seeded synthetic daily OHLCV bars on business days, IST midnight timestamps.

    Geometric random walk with 1.5 % daily volatility; open/high/low consistent with close.
    """
    rng = np.random.default_rng(seed)
    ts = pd.bdate_range(start, periods=n, tz=IST)
    ret = rng.normal(0.0003, 0.015, n)
    close = 100 * np.exp(np.cumsum(ret))
    open_ = close * np.exp(rng.normal(0, 0.004, n))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.005, n)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.005, n)))
    volume = rng.integers(100_000, 1_000_000, n).astype(float)
    return pd.DataFrame(
        {"timestamp": ts, "open": open_, "high": high, "low": low, "close": close, "volume": volume}
    )


@pytest.fixture()
def daily_bars() -> pd.DataFrame:
    """600 seeded synthetic daily bars (see :func:`make_daily_bars`)."""
    return make_daily_bars()
