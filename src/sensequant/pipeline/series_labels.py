"""What a run's benchmark and equal-weight rows are, named once from its (adapted) config.

The config a run saves is the adapted one (:func:`sensequant.pipeline.universe_rules.
preflight_for_universe`): an intraday run whose benchmark has no bars at its interval carries
``data.benchmark: equal-weight`` (:func:`sensequant.pipeline.intraday.intraday_benchmark`), and
so does the metals universe. :func:`series_labels` turns that config into the
:class:`~sensequant.release.briefing.SeriesLabels` the run stores with its results (the
evaluation, the briefing's ``series_labels`` key, the stress report's ``benchmark``), so no
reader re-derives the names from the interval:

==========================  =============================================  ===================
run                         benchmark row                                  equal-weight row
==========================  =============================================  ===================
daily, NIFTY 50             NIFTY 50 (price index)                         monthly, NSE costs
daily, ``equal-weight``     the run's basket, rebalanced daily, no costs   monthly, NSE costs
intraday, index stored      the index at the interval, session close       intraday basket
intraday, ``equal-weight``  the basket over the same bars, no costs        intraday basket
==========================  =============================================  ===================

The intraday equal-weight row is the basket bought at each session's second bar, squared off at
its last bar, with NSE intraday (MIS) costs (:mod:`sensequant.pipeline.intraday_evidence`).
"""

from __future__ import annotations

from typing import Final

from sensequant.release.briefing import SeriesLabels
from sensequant.settings import RunConfig
from sensequant.types import BENCHMARK_SYMBOL

__all__ = ["BASKET", "INTRADAY_EQUAL", "series_labels"]

BASKET: Final = "equal-weight"
"""``data.benchmark`` meaning the equal-weight basket of the run's own symbols (the value of
:data:`sensequant.pipeline.universe_rules.EQUAL_WEIGHT_BENCHMARK`)."""
INTRADAY_EQUAL: Final = (
    "equal-weight intraday basket, bought at each session's second bar, squared off at its "
    "last bar, NSE intraday (MIS) costs"
)
"""The equal-weight row of an intraday run."""


def series_labels(config: RunConfig) -> SeriesLabels:
    """The names of the benchmark and equal-weight rows of a run (see the module table).

    Parameters
    ----------
    config : RunConfig
        The run's adapted config (``data.interval``, ``data.benchmark``).

    Returns
    -------
    SeriesLabels
        The defaults (``NIFTY 50 (price index)``, the monthly costed equal weight) for a daily
        NIFTY 50 run.
    """
    dc = config.data
    intraday = dc.interval != "1day"
    if dc.benchmark == BASKET:
        if intraday:
            bench = (
                f"equal-weight basket of the run's symbols over the same {dc.interval} bars "
                "(rebalanced every bar, held overnight, session close to close, no costs)"
            )
            short = "equal-weight basket (every bar, no costs)"
        else:
            bench = "equal-weight basket of the run's symbols (rebalanced daily, no costs)"
            short = "equal-weight basket (daily, no costs)"
    else:
        name = "NIFTY 50" if dc.benchmark == BENCHMARK_SYMBOL else dc.benchmark
        short = name
        bench = f"{name} (price index)"
        if intraday:
            bench = f"{name} (price index) at {dc.interval}, session close to close"
    if intraday:
        return SeriesLabels(
            benchmark=bench,
            equal_weight=INTRADAY_EQUAL,
            benchmark_short=short,
            equal_weight_short="intraday equal-weight (MIS costs, squared off)",
        )
    return SeriesLabels(benchmark=bench, benchmark_short=short)
