"""What an evaluation's interval decides, chosen once: the daily conventions and the mode type.

:func:`sensequant.pipeline.evidence.evaluate` runs ONE path for every interval (trials,
comparison, summaries, IC, bootstrap/PSR/DSR/PBO, the briefing's evidence). What genuinely
differs between daily and intraday bars is held by an :class:`EvaluationMode`, built once per
evaluation from ``config.data.interval``:

* how one portfolio configuration is backtested (its weights and execution);
* the benchmark's period returns (the ``nifty50`` column every statistic compares with);
* the return baselines of the comparison and the gates' equal-weight series;
* the untrained score baselines ranked with the model's rule;
* notes stating the conventions, and an optional extra IC note per model.

Daily conventions (:func:`daily_mode`): :func:`sensequant.evaluation.run_backtest` on daily
bars (decided at a close, filled at the next open, delivery costs); the NIFTY 50 price index;
the equal-weight universe rebalanced monthly with NSE costs, bought once and held, and each
symbol held for small universes; 5-session reversal and 12-1 month momentum. The intraday
conventions are :func:`sensequant.pipeline.intraday_evidence.intraday_mode`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from sensequant.data.store import BarStore
from sensequant.evaluation.backtest import BacktestResult, index_returns, run_backtest
from sensequant.evaluation.baseline_scores import momentum_scores, reversal_scores
from sensequant.evaluation.baselines import (
    BaselineSeries,
    buy_and_hold_baseline,
    index_baseline,
    monthly_rebalanced_baseline,
)
from sensequant.evaluation.costs import FeeSchedule
from sensequant.evaluation.sizing import portfolio_weights
from sensequant.pipeline.series_labels import BASKET, series_labels
from sensequant.pipeline.universe_rules import single_symbol_holds
from sensequant.release.briefing import EQUAL_WEIGHT
from sensequant.settings import PortfolioConfig, RunConfig

__all__ = [
    "BUY_HOLD",
    "EQUAL",
    "NIFTY",
    "EvaluationMode",
    "daily_mode",
    "price_matrices",
]

NIFTY = "NIFTY 50 (price index)"
"""Key of the benchmark row in ``Evaluation.summaries`` (its name: ``Evaluation.labels``)."""
EQUAL = EQUAL_WEIGHT
"""Key of the gates' equal-weight row in ``Evaluation.summaries`` (daily: monthly, costed;
intraday: the MIS-costed basket; its name: ``Evaluation.labels``)."""
BUY_HOLD = "equal-weight universe, bought once, never rebalanced"

Backtest = Callable[[pd.DataFrame, PortfolioConfig], BacktestResult]


@dataclass(frozen=True)
class EvaluationMode:
    """The interval-specific parts of one evaluation (everything else is shared).

    Attributes
    ----------
    name : str
        ``"daily"`` or ``"intraday"``.
    backtest : callable
        ``backtest(predictions, portfolio_config) -> BacktestResult`` with the run's costs and
        execution; its returns are per period (session) as every statistic uses them.
    benchmark : pandas.Series
        Period returns (fractions) of the benchmark: the ``nifty50`` column of
        :attr:`sensequant.pipeline.evidence.Evaluation.returns`.
    equal_weight : BaselineSeries
        The gates' equal-weight series (the ``equal_weight`` column), costed.
    baselines : dict of str to BaselineSeries
        The comparison's return baselines by display name, in table order (includes
        ``equal_weight`` under :data:`EQUAL`).
    score_baselines : dict of str to pandas.DataFrame
        Untrained scores (``symbol, timestamp, score``) on the model's decision times.
    notes : tuple of str
        The conventions, stated first in the briefing's notes.
    ic_note : callable, optional
        ``ic_note(model_name, ic_frame) -> str``: one more note per model (intraday: the IC
        per session besides per bar).
    """

    name: str
    backtest: Backtest
    benchmark: pd.Series
    equal_weight: BaselineSeries
    baselines: dict[str, BaselineSeries]
    score_baselines: dict[str, pd.DataFrame]
    notes: tuple[str, ...] = ()
    ic_note: Callable[[str, pd.DataFrame], str] | None = field(default=None)


def price_matrices(
    store: BarStore,
    symbols: Sequence[str],
    start: pd.Timestamp,
    end: pd.Timestamp,
    *,
    interval: str = "1day",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Wide open and close prices (bar x symbol, rupees) from the store, NaN where no bar."""
    opens, closes = {}, {}
    for s in symbols:
        bars = store.read(s, interval, start=start, end=end, columns=["timestamp", "open", "close"])
        ix = pd.DatetimeIndex(bars["timestamp"])
        opens[s] = pd.Series(bars["open"].to_numpy(), index=ix)
        closes[s] = pd.Series(bars["close"].to_numpy(), index=ix)
    return pd.DataFrame(opens).sort_index(), pd.DataFrame(closes).sort_index()


def daily_mode(
    config: RunConfig,
    store: BarStore,
    symbols: Sequence[str],
    student_pred: pd.DataFrame,
    range_end: pd.Timestamp,
) -> EvaluationMode:
    """The daily conventions (module docstring) over the student's OOS span.

    Parameters
    ----------
    config : RunConfig
    store : BarStore
        Daily bars of ``symbols`` and of ``config.data.benchmark``.
    symbols : sequence of str
        The run's usable universe.
    student_pred : pandas.DataFrame
        OOS predictions (``timestamp`` = decision sessions): the span and decision dates.
    range_end : pandas.Timestamp
        Last session of the run.

    Returns
    -------
    EvaluationMode
    """
    start = pd.Timestamp(student_pred["timestamp"].min())
    hist_start = start - pd.Timedelta(days=400)  # 12-1 momentum needs 252 sessions behind
    open_hist, close_hist = price_matrices(store, symbols, hist_start, range_end)
    oos = close_hist.index >= start  # one read; the backtests see the OOS span only
    open_px, close_px = open_hist.loc[oos], close_hist.loc[oos]
    bench = store.read(config.data.benchmark, "1day", end=range_end, columns=["timestamp", "close"])
    bench_close = pd.Series(bench["close"].to_numpy(), index=pd.DatetimeIndex(bench["timestamp"]))
    fees = FeeSchedule.load()
    bt_cfg = config.backtest

    def backtest(pred: pd.DataFrame, pcfg: PortfolioConfig) -> BacktestResult:
        weights = portfolio_weights(pred, pcfg)
        return run_backtest(
            weights, open_px, close_px, fees=fees, cfg=bt_cfg, tolerance=bt_cfg.rebalance_tolerance
        )

    # no no-trade band: the strategy's absolute band (0.02) is the whole 1/50 position, which
    # would freeze every name and leave the basket ~84 % invested (measured on the 50 stocks)
    monthly = monthly_rebalanced_baseline(
        open_px, close_px, start, fees=fees, cfg=bt_cfg, end=range_end, name=EQUAL, tolerance=0.0
    )
    buy_hold = buy_and_hold_baseline(
        open_px, close_px, start, fees=fees, cfg=bt_cfg, end=range_end, name=BUY_HOLD
    )
    dates = pd.DatetimeIndex(sorted(student_pred["timestamp"].unique()))
    return EvaluationMode(
        name="daily",
        backtest=backtest,
        benchmark=index_returns(bench_close),
        equal_weight=monthly,
        baselines={
            NIFTY: index_baseline(
                bench_close,
                start,
                end=range_end,
                name=NIFTY,
                index_name=config.data.benchmark,
                label=series_labels(config).benchmark if config.data.benchmark == BASKET else None,
            ),
            BUY_HOLD: buy_hold,
            EQUAL: monthly,
            **single_symbol_holds(open_px, close_px, start, fees=fees, cfg=bt_cfg, end=range_end),
        },
        score_baselines={
            "reversal (minus 5-session return)": reversal_scores(close_hist, dates),
            "momentum 12-1 months": momentum_scores(close_hist, dates),
        },
    )
