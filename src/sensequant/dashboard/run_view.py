"""One run's page data, read from its run directory and the registry.

Everything comes from files the run wrote (``promotion_briefing.json``, ``config.yaml``,
``returns/daily.parquet``, ``returns/trials.parquet``, ``stress/stress.json``) through
:class:`sensequant.pipeline.RunPaths`, and from the registry (state, review history); nothing
is recomputed except cumulative curves of the saved daily returns.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sensequant.dashboard.live import LiveProgress, read_progress
from sensequant.dashboard.runs import run_dir_of
from sensequant.errors import RegistryError
from sensequant.pipeline import RunPaths
from sensequant.release import (
    BENCHMARK,
    EQUAL_WEIGHT,
    Registry,
    RunRecord,
    SeriesLabels,
    status_of,
)
from sensequant.settings import Settings

__all__ = [
    "RunView",
    "equity_drawdown",
    "gates_table",
    "load_run_view",
    "strategy_card",
    "stress_table",
    "trials_curves",
    "trials_table",
]

_CURVES = {
    "student_net": "strategy (net of costs)",
    "teacher_direct_net": "teacher-direct (net)",
    "nifty50": "NIFTY 50 (price index)",
    "equal_weight": "equal-weight universe",
}


@dataclass(frozen=True)
class RunView:
    """What the run page shows.

    Attributes
    ----------
    run_id : str
    paths : RunPaths
    record : RunRecord or None
        The registry row (None: not registered, e.g. still running).
    events : list of dict
        Review history (registry events), oldest first.
    briefing : dict or None
        ``promotion_briefing.json`` (None until the release phase wrote it).
    config : dict or None
        ``config.yaml``.
    daily : pandas.DataFrame or None
        ``returns/daily.parquet``: daily OOS returns (fractions) per column.
    trials : pandas.DataFrame or None
        ``returns/trials.parquet``: daily net returns of every configuration tried.
    stress : dict or None
        ``stress/stress.json``.
    live : LiveProgress
        The run's telemetry summary.
    """

    run_id: str
    paths: RunPaths
    record: RunRecord | None
    events: list[dict[str, Any]] = field(default_factory=list)
    briefing: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    daily: pd.DataFrame | None = None
    trials: pd.DataFrame | None = None
    stress: dict[str, Any] | None = None
    live: LiveProgress | None = None


def _json(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else None


def _parquet(path: Path) -> pd.DataFrame | None:
    return pd.read_parquet(path) if path.is_file() else None


def load_run_view(settings: Settings, run_id: str) -> RunView:
    """Read everything the run page shows for ``run_id``.

    Parameters
    ----------
    settings : Settings
    run_id : str
        A registered run or a run directory under ``settings.runs_dir``.

    Returns
    -------
    RunView
        Missing files are None (a running or failed run has only some).

    Raises
    ------
    RegistryError
        If the run is neither registered nor a run directory.
    """
    record, events = None, []
    if settings.registry_path.is_file():
        registry = Registry(settings.registry_path)
        try:
            record = registry.get(run_id)
            events = [asdict(e) for e in registry.events(run_id)]
        except RegistryError:
            record = None
    root = run_dir_of(settings, run_id, record)
    if record is None and not root.is_dir():
        raise RegistryError(
            f"unknown run {run_id!r}: not in the registry and no directory {root}",
            hint="pick a run from the runs list",
        )
    paths = RunPaths(root)
    config = (
        yaml.safe_load(paths.config.read_text(encoding="utf-8")) if paths.config.is_file() else None
    )
    return RunView(
        run_id=run_id,
        paths=paths,
        record=record,
        events=events,
        briefing=_json(paths.briefing_json),
        config=config if isinstance(config, dict) else None,
        daily=_parquet(paths.returns("daily")),
        trials=_parquet(paths.returns("trials")),
        stress=_json(paths.stress_json),
        live=read_progress(paths.telemetry),
    )


def _pct(value: Any) -> str:
    return "n/a" if value is None else f"{float(value) * 100:.1f} %"


def _num(value: Any, digits: int = 2) -> str:
    return "n/a" if value is None else f"{float(value):.{digits}f}"


def strategy_card(view: RunView) -> list[tuple[str, str]]:
    """The strategy card: what was traded, how, and the headline results, as label/value pairs.

    Returns
    -------
    list of (str, str)
        Empty when neither the configuration nor the briefing exists.
    """
    cfg, brief = view.config or {}, view.briefing or {}
    rows: list[tuple[str, str]] = []
    if cfg:
        data, labels = cfg.get("data", {}), cfg.get("labels", {})
        port, costs = cfg.get("portfolio", {}), cfg.get("backtest", {})
        rows += [
            ("configuration", str(cfg.get("name", "n/a"))),
            ("universe", str(data.get("universe", "n/a"))),
            ("interval", str(data.get("interval", "n/a"))),
            ("target", f"{labels.get('target', 'n/a')}, horizon {labels.get('horizon')} sessions"),
            ("features", ", ".join(cfg.get("features", {}).get("sets", [])) or "n/a"),
            ("portfolio", ", ".join(f"{k}={v}" for k, v in port.items()) or "n/a"),
            ("execution", ", ".join(f"{k}={v}" for k, v in costs.items() if k != "trials")),
        ]
    if brief:
        uni = brief.get("universe") or {}
        oos = brief.get("oos") or {}
        h = brief.get("headline") or {}
        rows += [
            ("symbols", f"{uni.get('n_symbols', 'n/a')}: {', '.join(uni.get('symbols', []))}"),
            ("out of sample", f"{oos.get('start')} to {oos.get('end')}"),
            ("decision", f"{brief.get('decision')} ({brief.get('decision_reason', '')})"),
            ("Sharpe (net, annualised)", _num(h.get("sharpe"))),
            (
                f"{SeriesLabels.from_doc(brief).benchmark_short} Sharpe",
                _num(h.get("benchmark_sharpe")),
            ),
            ("CAGR", _pct(h.get("cagr"))),
            ("max drawdown", _pct(h.get("max_drawdown"))),
            ("mean IC", _num(h.get("mean_ic"), 4)),
            ("DSR", _num(h.get("dsr"), 3)),
            ("trials", str(h.get("n_trials", "n/a"))),
            ("costs", str((brief.get("notes") or {}).get("costs", "n/a"))),
        ]
    return rows


def equity_drawdown(
    daily: pd.DataFrame, briefing: dict[str, Any] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Growth of 1 rupee and drawdown (fractions, <= 0) of every saved daily-return column.

    Parameters
    ----------
    daily : pandas.DataFrame
        ``returns/daily.parquet``: ``timestamp`` and daily simple returns per column.
    briefing : dict, optional
        The run's briefing document: its ``series_labels`` name the benchmark and
        equal-weight curves (None or an older briefing: NIFTY 50 and the monthly equal weight).

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        Equity and drawdown, indexed by timestamp, one column per curve (readable names).
    """
    names = SeriesLabels.from_doc(briefing)
    curves = _CURVES | {"nifty50": names.benchmark}
    if names.equal_weight != EQUAL_WEIGHT:
        curves["equal_weight"] = names.equal_weight
    cols = [c for c in curves if c in daily.columns]
    rets = daily.set_index("timestamp")[cols].fillna(0.0).rename(columns=curves)
    equity = (1.0 + rets).cumprod()
    drawdown = equity / equity.cummax() - 1.0
    return equity, drawdown


def gates_table(briefing: dict[str, Any]) -> pd.DataFrame:
    """The release gates: ``gate, status, passed, value, comparison, threshold, explanation``
    (``status`` PASS / FAIL / NOT EVALUATED; a gate not evaluated is neither)."""
    rows = [
        {
            "gate": g.get("name"),
            "status": status_of(bool(g.get("passed")), g.get("evaluated", True) is not False),
            "passed": bool(g.get("passed")),
            "value": g.get("value"),
            "comparison": g.get("comparison"),
            "threshold": g.get("threshold"),
            "explanation": g.get("explanation"),
        }
        for g in briefing.get("gates") or []
    ]
    cols = ["gate", "status", "passed", "value", "comparison", "threshold", "explanation"]
    return pd.DataFrame(rows, columns=cols)


def stress_table(stress: dict[str, Any]) -> pd.DataFrame:
    """One row per stress period: total return (fraction) of the strategy and of the
    benchmark (``NIFTY 50 return``, or ``benchmark return`` when the run's benchmark is another
    series: the report's ``benchmark``), the resilience score (0-100) and the failure mode."""
    rows = []
    name = str(stress.get("benchmark") or BENCHMARK)
    column = "NIFTY 50 return" if name == BENCHMARK else "benchmark return"
    for p in stress.get("periods") or []:
        by_name = {r.get("name"): r for r in p.get("rows") or []}
        bench: dict[str, Any] = by_name.get(name) or {}
        rows.append(
            {
                "period": p.get("name"),
                "kind": p.get("kind"),
                "start": p.get("start"),
                "end": p.get("end"),
                "strategy return": by_name.get("student", {}).get("total_return"),
                column: bench.get("total_return"),
                "strategy max drawdown": by_name.get("student", {}).get("max_drawdown"),
                "resilience": p.get("resilience_score"),
                "failure mode": p.get("failure_mode"),
            }
        )
    return pd.DataFrame(rows)


def trials_table(briefing: dict[str, Any]) -> pd.DataFrame:
    """Every configuration tried: ``trial`` and its annualised net ``sharpe``, best first."""
    rows = [
        {"trial": t.get("name"), "sharpe": t.get("sharpe")} for t in briefing.get("trials") or []
    ]
    frame = pd.DataFrame(rows, columns=["trial", "sharpe"])
    return frame.sort_values("sharpe", ascending=False, ignore_index=True, na_position="last")


def trials_curves(trials: pd.DataFrame) -> pd.DataFrame:
    """Growth of 1 rupee of every trial's daily net returns, indexed by timestamp."""
    rets = trials.set_index("timestamp").fillna(0.0)
    return (1.0 + rets).cumprod()
