"""Daily signals: a finished run's target weights for the session after the last stored bar.

:func:`compute_signals` loads a run (:func:`~sensequant.pipeline.rundir.load_run`), rebuilds the
features from the bar store exactly as the run built them (:func:`~sensequant.dataset.
build_frames` on bars ``<= D`` only, panel step included), predicts with the model the run
would have used on each date and applies the run's portfolio rule
(:func:`~sensequant.evaluation.sizing.portfolio_weights`) from the first out-of-sample date to
``D``, so the buffered top-k hysteresis and the rebalance cadence replay as in the backtest:

* a date inside a walk-forward test period is predicted by that period's student (so for a
  past ``D`` the signal equals the backtest's target weights for ``D``);
* a date after the run's last session is predicted by the release student
  (``models/student.txt``), whose ``feature_set_hash`` and feature names must match the features
  computed now (:class:`~sensequant.errors.ModelError` otherwise).

Stale data are refused (:class:`~sensequant.errors.DataError`): the last stored bar of a
symbol or of the benchmark must be at most ``max_age_days`` calendar days before ``D``. Nothing
here places an order; :class:`SignalSet` is written for a human or a broker-side tool (format:
README, "Daily signals").
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from sensequant.data.catalog import Catalog
from sensequant.data.market import nse_sessions
from sensequant.data.store import BarStore
from sensequant.dataset import build_frames, needs_panel_step, panel_frame
from sensequant.dataset.features import feature_set_hash
from sensequant.errors import DataError, ModelError, NoDataError
from sensequant.evaluation.sizing import portfolio_weights
from sensequant.fsutil import write_json_atomic, write_text_atomic
from sensequant.models.lgbm import is_score_model
from sensequant.models.serialize import load_model
from sensequant.models.teacher import load_booster, predict_proba
from sensequant.pipeline.rundir import STUDENT_MODEL, LoadedRun, load_run
from sensequant.pipeline.universe_rules import EQUAL_WEIGHT_BENCHMARK, BasketBenchmarkStore
from sensequant.types import IST, PROBA_COLUMNS

__all__ = ["DEFAULT_MAX_AGE_DAYS", "SIGNAL_COLUMNS", "SignalSet", "compute_signals"]

DEFAULT_MAX_AGE_DAYS: Final = 5
"""Calendar days the last stored bar may lie before the signal date (a long weekend fits)."""
SIGNAL_COLUMNS: Final = ("symbol", "rank", "target_weight", "score")
"""Columns of :attr:`SignalSet.rows`, in order (class models add ``p_down, p_flat, p_up``)."""
RELEASE: Final = "release"
_DAY_END: Final = pd.Timedelta(hours=23, minutes=59)


@dataclass(frozen=True)
class SignalSet:
    """Target weights for one session, and where they come from.

    Attributes
    ----------
    run_id : str
    for_session : datetime.date
        The session the weights are meant for (the NSE session after ``as_of``; IST date).
    as_of : datetime.date
        The last session whose bars were used (IST date, ``<= D``).
    decided_on : datetime.date
        The decision date of the weights (``as_of`` on a rebalance date, else the last
        rebalance date before it: the portfolio is held, not re-ranked, in between).
    model : str
        ``release`` or ``walk-forward period <id>``.
    model_sha256 : str
        SHA-256 of the LightGBM text of that model.
    feature_set_hash : str
    data_fingerprint : str
        SHA-256 over the bars read (every symbol and the benchmark, ``<= as_of``).
    rule : str
        The portfolio rule (``portfolio`` section of the run's configuration).
    rows : pandas.DataFrame
        One row per symbol: ``symbol, rank`` (1 = best score on ``as_of``), ``target_weight``
        (fraction of equity, long-only; ``1 - sum`` stays in cash), ``score`` (the ranking
        score) and, for class models, ``p_down, p_flat, p_up``; sorted by rank.
    notes : tuple of str
    """

    run_id: str
    for_session: dt.date
    as_of: dt.date
    decided_on: dt.date
    model: str
    model_sha256: str
    feature_set_hash: str
    data_fingerprint: str
    rule: str
    rows: pd.DataFrame
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the ``--json`` output; weights as fractions, dates IST)."""
        rows = self.rows.replace({np.nan: None}).to_dict(orient="records")
        return {
            "run_id": self.run_id,
            "for_session": self.for_session.isoformat(),
            "as_of": self.as_of.isoformat(),
            "decided_on": self.decided_on.isoformat(),
            "timezone": IST,
            "model": self.model,
            "model_sha256": self.model_sha256,
            "feature_set_hash": self.feature_set_hash,
            "data_fingerprint": self.data_fingerprint,
            "rule": self.rule,
            "cash_weight": float(1.0 - self.rows["target_weight"].sum()),
            "signals": rows,
            "notes": list(self.notes),
            "places_orders": False,
        }

    def write(self, path: Path) -> None:
        """Write atomically: ``.json`` = :meth:`to_dict`; any other suffix = CSV
        (:meth:`to_csv_frame`, UTF-8, header row, weights as fractions)."""
        if path.suffix.lower() == ".json":
            write_json_atomic(path, self.to_dict())
        else:
            write_text_atomic(path, self.to_csv_frame().to_csv(index=False))

    def to_csv_frame(self) -> pd.DataFrame:
        """The rows with the provenance repeated on every line (the ``--out FILE.csv`` form)."""
        out = self.rows.copy()
        for key in ("for_session", "as_of", "run_id", "model", "model_sha256"):
            out[key] = str(getattr(self, key))
        out["data_fingerprint"] = self.data_fingerprint
        return out


def _day(value: dt.date | pd.Timestamp) -> pd.Timestamp:
    return pd.Timestamp(value).tz_localize(None).normalize().tz_localize(IST)


def _read(
    store: BarStore, symbols: list[str], interval: str, end: pd.Timestamp
) -> dict[str, pd.DataFrame]:
    bars: dict[str, pd.DataFrame] = {}
    for sym in symbols:
        try:
            bars[sym] = store.read(sym, interval, end=end)
        except NoDataError:
            raise DataError(
                f"no stored {interval} bars for {sym} up to {end.date()}",
                hint="import or fetch the run's symbols (`sensequant data fetch`)",
            ) from None
    return bars


def _check_fresh(
    bars: Mapping[str, pd.DataFrame], date: pd.Timestamp, max_age_days: int
) -> pd.Timestamp:
    """The last session every series has; DataError when any series is older than allowed."""
    last = {s: pd.Timestamp(b["timestamp"].iloc[-1]) for s, b in bars.items() if len(b)}
    empty = [s for s, b in bars.items() if not len(b)]
    limit = date - pd.Timedelta(days=max_age_days)
    stale = {s: t for s, t in last.items() if t.normalize() < limit}
    if empty or stale:
        named = ", ".join(
            [
                *(f"{s} (no bars)" for s in empty),
                *(f"{s} (last bar {t.date()})" for s, t in sorted(stale.items())),
            ]
        )
        raise DataError(
            f"stale data for signals on {date.date()}: {named}; bars may be at most "
            f"{max_age_days} calendar days old",
            hint="fetch new bars (`sensequant data fetch`) or raise --max-age-days",
        )
    return min(last.values()).normalize()


def _fingerprint(bars: Mapping[str, pd.DataFrame]) -> str:
    digest = hashlib.sha256(b"sensequant-signal-bars-v1")
    for sym in sorted(bars):
        frame = bars[sym]
        digest.update(sym.encode() + b"\0")
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def _predict(model_text: str, part: pd.DataFrame) -> pd.DataFrame:
    """Score (or class probabilities) of one model on panel rows, as the run predicted."""
    booster = load_booster(model_text)
    names = list(booster.feature_name())
    missing = [c for c in names if c not in part.columns]
    if missing:
        raise ModelError(
            f"the model needs features {missing[:5]} that the run's feature sets do not give",
            hint="the feature code changed since the run: re-run or retrain",
        )
    out = part[["symbol", "timestamp"]].reset_index(drop=True)
    if not len(part):
        return out
    X = part[names]
    if is_score_model(booster):
        x = np.ascontiguousarray(X.to_numpy(dtype=np.float32))
        out["score"] = np.asarray(booster.predict(x), dtype=np.float64).reshape(len(X))
    else:
        proba = predict_proba(booster, X)
        for j, col in enumerate(PROBA_COLUMNS):
            out[col] = proba[:, j]
    return out


def _release_model(run: LoadedRun, frame_columns: list[str]) -> str:
    """The release student's text, after the feature-set checks (ModelError on mismatch)."""
    booster, meta = load_model(run.paths.models_dir, STUDENT_MODEL)
    saved = meta.get("feature_set_hash")
    now = {feature_set_hash(run.config.features), feature_set_hash()}
    if saved not in now:
        raise ModelError(
            f"{run.paths.release_student}: feature-set hash {saved} differs from the code's "
            f"{sorted(now)}; the features computed now are not the ones the model learned",
            hint="re-run the pipeline (or `sensequant retrain`) with this version",
        )
    names = list(booster.feature_name())
    if set(names) - set(frame_columns):
        raise ModelError(
            f"{run.paths.release_student}: feature names differ from the run's features",
            hint="re-run the pipeline (or `sensequant retrain`) with this version",
        )
    return str(booster.model_to_string())


def _model_for(models: pd.DataFrame, ts: pd.Timestamp, range_end: pd.Timestamp) -> Any:
    """Period id whose test span holds ``ts``; RELEASE after the run's end; None otherwise."""
    if ts > range_end:
        return RELEASE
    hit = models.loc[(models["test_start"] <= ts) & (models["test_end"] >= ts)]
    return None if hit.empty else int(hit.sort_values("period_id").iloc[-1]["period_id"])


def compute_signals(
    run_id: str,
    run_dir: Path,
    store: BarStore,
    *,
    catalog: Catalog | None = None,
    date: dt.date | None = None,
    max_age_days: int = DEFAULT_MAX_AGE_DAYS,
    today: dt.date | None = None,
) -> SignalSet:
    """Target weights and ranks for the session after ``date`` (see the module docstring).

    Parameters
    ----------
    run_id : str
    run_dir : pathlib.Path
        The finished run directory.
    store : BarStore
        The bar store the run read (an ``AdjustedBarStore`` in the CLI).
    catalog : Catalog, optional
        Symbol master for the ``sector`` feature set.
    date : datetime.date, optional
        Use bars up to this IST date only; default today (IST).
    max_age_days : int, default DEFAULT_MAX_AGE_DAYS
        Most calendar days the last bar of any series may lie before ``date``.
    today : datetime.date, optional
        Today's IST date (tests); default the clock.

    Returns
    -------
    SignalSet

    Raises
    ------
    DataError
        Missing or stale bars; ``date`` before the run's first out-of-sample date.
    ModelError
        Feature-set hash or feature names differ from the release model's.
    """
    run = load_run(run_dir)
    cfg = run.config
    if cfg.data.interval != "1day":
        raise DataError(
            f"run {run_dir.name} trades {cfg.data.interval} bars: signals are target weights "
            "for the next daily session (an intraday book is squared off every session)",
            hint="use a daily run's model for signals",
        )
    d = _day(date or today or pd.Timestamp.now(tz=IST).date())
    end = d + _DAY_END
    symbols = list(run.symbols)
    if cfg.data.benchmark == EQUAL_WEIGHT_BENCHMARK:  # metals: the ETFs' equal-weight basket
        store = BasketBenchmarkStore(store, EQUAL_WEIGHT_BENCHMARK, symbols)
    bars = _read(store, symbols, cfg.data.interval, end)
    bench = _read(store, [cfg.data.benchmark], cfg.data.interval, end)
    as_of = _check_fresh({**bars, **bench}, d, max_age_days)
    bars = {s: b.loc[b["timestamp"] <= as_of + _DAY_END] for s, b in bars.items()}
    b = bench[cfg.data.benchmark]
    bench_close = pd.Series(
        b["close"].to_numpy(dtype=float), index=pd.DatetimeIndex(b["timestamp"])
    ).loc[: as_of + _DAY_END]
    panel_step = needs_panel_step(cfg)
    sectors = catalog.industries(symbols) if catalog is not None and panel_step else {}
    frames = build_frames(bars, cfg, benchmark_close=bench_close, sectors=sectors)
    oos_start = pd.Timestamp(run.models["test_start"].min())
    if as_of < oos_start.normalize():
        raise DataError(
            f"{as_of.date()} is before the run's first out-of-sample date {oos_start.date()}",
            hint="signals replay the run's out-of-sample decisions: pick a later --date",
        )
    panel = panel_frame(frames, oos_start, as_of + _DAY_END)
    range_end = run.range_end if run.range_end is not None else pd.Timestamp.max.tz_localize(IST)
    pred, model_text, model_name, notes = _replay_predictions(run, panel, range_end)
    weights = portfolio_weights(pred, cfg.portfolio)
    last = pred["timestamp"].max()
    decided = weights.index[weights.index <= last][-1]
    rows = _rank_rows(
        pred.loc[pred["timestamp"] == last], weights.loc[decided], cfg.portfolio.score
    )
    if decided != last:
        notes.append(
            f"{as_of.date()} is not a rebalance date (every {cfg.portfolio.rebalance_every} "
            f"sessions): the weights decided on {decided.date()} are held"
        )
    return SignalSet(
        run_id=run_id,
        for_session=_next_session(as_of),
        as_of=as_of.date(),
        decided_on=pd.Timestamp(decided).date(),
        model=model_name,
        model_sha256=hashlib.sha256(model_text.encode("utf-8")).hexdigest(),
        feature_set_hash=feature_set_hash(cfg.features),
        data_fingerprint=_fingerprint({**bars, **bench}),
        rule=_rule(cfg.portfolio.model_dump(mode="json")),
        rows=rows,
        notes=tuple(notes),
    )


def _replay_predictions(
    run: LoadedRun, panel: pd.DataFrame, range_end: pd.Timestamp
) -> tuple[pd.DataFrame, str, str, list[str]]:
    """Predictions of every panel date by the model the run used on it (release student after
    the run's end); also the last date's model text and name, and notes."""
    dates = pd.Series(panel["timestamp"].unique())
    by_date = {t: str(_model_for(run.models, t, range_end)) for t in dates}
    which = panel["timestamp"].map(by_date)
    texts = {
        str(int(p)): str(t)
        for p, t in zip(run.models["period_id"], run.models["model_text"], strict=True)
    }
    if (which == RELEASE).any():
        texts[RELEASE] = _release_model(run, list(panel.columns))
    notes: list[str] = []
    parts = []
    for key, rows in panel.groupby(which, sort=False):
        if key == "None":
            n = rows["timestamp"].nunique()
            notes.append(f"{n} dates between walk-forward test periods have no model")
            continue
        parts.append(_predict(texts[str(key)], rows))
    if not parts:
        raise DataError("no date up to the signal date has a model", hint="pick a later --date")
    pred = pd.concat(parts, ignore_index=True)
    pred = pred.sort_values(["timestamp", "symbol"], kind="stable").reset_index(drop=True)
    key = str(which.iloc[-1])
    if key == "None":
        raise DataError(
            f"{pd.Timestamp(panel['timestamp'].max()).date()} lies between the run's "
            "walk-forward test periods: no model was in use on it",
            hint="pick another --date",
        )
    name = RELEASE if key == RELEASE else f"walk-forward period {key}"
    return pred, texts[key], name, notes


def _rank_rows(last: pd.DataFrame, weights: pd.Series, score: str) -> pd.DataFrame:
    """Rows of :class:`SignalSet`: the last date's predictions ranked, with the weights."""
    out = last.copy()
    if "score" not in out.columns:  # class model: rank by the portfolio's score
        out["score"] = out["p_up"] - out["p_down"] if score == "p_up_minus_p_down" else out["p_up"]
    out = out.sort_values(["score", "symbol"], ascending=[False, True], kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    out["target_weight"] = out["symbol"].map(weights).fillna(0.0).astype(float)
    extra = [c for c in PROBA_COLUMNS if c in out.columns]
    return out[[*SIGNAL_COLUMNS, *extra]].reset_index(drop=True)


def _rule(portfolio: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(portfolio.items()))


def _next_session(as_of: pd.Timestamp) -> dt.date:
    """The NSE session after ``as_of`` (calendar), else the next weekday past its coverage."""
    nxt = nse_sessions(as_of + pd.Timedelta(days=1), as_of + pd.Timedelta(days=20))
    if len(nxt):
        return pd.Timestamp(nxt[0]).date()
    day = as_of + pd.Timedelta(days=1)
    while day.weekday() >= 5:
        day += pd.Timedelta(days=1)
    return day.date()
