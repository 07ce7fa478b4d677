"""Typed evidence a run hands to the briefing: paired comparisons, data-snooping tests,
track record, IC by year, deciles (computed in :mod:`sensequant.pipeline.statistics`) and
the release's own additions (stress replay, feature importance, report link).

Every class is a frozen dataclass; ``to_dict`` gives the plain entries that
``promotion_briefing.json`` holds under its evidence keys, in the same key order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sensequant.evaluation.snooping import PBOResult, SPAResult
from sensequant.evaluation.stats import BootstrapCI


def ci_dict(ci: BootstrapCI) -> dict[str, Any]:
    """The briefing entry of a bootstrap confidence interval (``estimate, lower, upper,
    confidence, reps, block_length, seed, method``)."""
    return {
        "estimate": ci.estimate,
        "lower": ci.lower,
        "upper": ci.upper,
        "confidence": ci.confidence,
        "reps": ci.reps,
        "block_length": ci.block_length,
        "seed": ci.seed,
        "method": ci.method,
    }


@dataclass(frozen=True)
class TrialSharpe:
    """Sharpe ratio of one configuration tried (a trial of the deflated Sharpe ratio).

    Attributes
    ----------
    name : str
    sharpe : float
        Annualised Sharpe ratio of the trial's daily net returns (NaN when undefined).
    sr_per_period : float
        The same Sharpe ratio per period (``sharpe / sqrt(periods_per_year)``).
    """

    name: str
    sharpe: float
    sr_per_period: float

    def to_dict(self) -> dict[str, float | str]:
        """The briefing's ``trials`` entry."""
        return {"name": self.name, "sharpe": self.sharpe, "sr_per_period": self.sr_per_period}


@dataclass(frozen=True)
class Comparison:
    """Paired bootstrap CI of a difference of Sharpe ratios (student minus another series).

    Attributes
    ----------
    name : str
        E.g. ``"student - NIFTY 50 (price index)"``.
    metric : str
        ``"sharpe"``.
    ci : BootstrapCI
        The difference (annualised Sharpe units) and its interval.
    """

    name: str
    metric: str
    ci: BootstrapCI

    def to_dict(self) -> dict[str, Any]:
        """The briefing's ``comparisons`` entry."""
        return {"name": self.name, "metric": self.metric, **ci_dict(self.ci)}


@dataclass(frozen=True)
class BootstrapExtra:
    """Bootstrap CIs of the mean excess return over NIFTY 50 (annualised) and the mean IC;
    None where not computable."""

    mean_excess_return: BootstrapCI | None
    mean_ic: BootstrapCI | None

    def to_dict(self) -> dict[str, Any]:
        """The briefing's ``bootstrap_extra`` entry."""
        return {
            "mean_excess_return": _opt_ci(self.mean_excess_return),
            "mean_ic": _opt_ci(self.mean_ic),
        }


def _opt_ci(ci: BootstrapCI | None) -> dict[str, Any] | None:
    return ci_dict(ci) if ci is not None else None


@dataclass(frozen=True)
class SPATest:
    """Hansen's SPA test of every configuration tried against one benchmark.

    Attributes
    ----------
    result : SPAResult
    benchmark : str
        Name of the benchmark as the briefing shows it.
    """

    result: SPAResult
    benchmark: str

    def to_dict(self) -> dict[str, Any]:
        """The briefing's ``snooping.spa*`` entry."""
        return self.result.to_dict() | {"benchmark": self.benchmark}


@dataclass(frozen=True)
class StepMTest:
    """Romano-Wolf StepM: configurations that beat the benchmark with FWER control.

    Attributes
    ----------
    superior : tuple of str
        Names of the configurations found superior (empty if none).
    size : float
        The familywise error rate controlled.
    """

    superior: tuple[str, ...]
    size: float

    def to_dict(self) -> dict[str, Any]:
        """The briefing's ``snooping.stepm*`` entry."""
        return {"superior": list(self.superior), "size": self.size}


@dataclass(frozen=True)
class Snooping:
    """Data-snooping tests over every configuration tried; None where not computable."""

    spa: SPATest | None
    stepm: StepMTest | None
    spa_equal_weight: SPATest | None
    stepm_equal_weight: StepMTest | None
    pbo: PBOResult | None
    pbo_ledger: PBOResult | None = None
    """PBO over this run's trials AND the earlier ledger trials on the same universe,
    interval and OOS span (the model configurations tried before), on common sessions."""
    pbo_ledger_trials: int = 0
    """Trials that PBO over the ledger ranked (0 when not computed)."""

    def to_dict(self) -> dict[str, Any]:
        """The briefing's ``snooping`` entry."""
        return {
            "spa": self.spa.to_dict() if self.spa else None,
            "stepm": self.stepm.to_dict() if self.stepm is not None else None,
            "spa_equal_weight": self.spa_equal_weight.to_dict() if self.spa_equal_weight else None,
            "stepm_equal_weight": (
                self.stepm_equal_weight.to_dict() if self.stepm_equal_weight is not None else None
            ),
            "pbo": self.pbo.to_dict() if self.pbo is not None else None,
            "pbo_ledger": (
                self.pbo_ledger.to_dict() | {"n_trials": self.pbo_ledger_trials}
                if self.pbo_ledger is not None
                else None
            ),
        }


@dataclass(frozen=True)
class TrackRecord:
    """Minimum track record length for a Sharpe ratio above 0 at 95 %."""

    sessions: float
    years: float

    def to_dict(self) -> dict[str, float]:
        """The briefing's ``min_track_record_length`` entry."""
        return {"sessions": self.sessions, "years": self.years}


@dataclass(frozen=True)
class ICYear:
    """Mean daily IC and Rank IC of one calendar year, over ``n_days`` sessions."""

    year: int
    mean_ic: float
    mean_rank_ic: float
    n_days: int

    def to_dict(self) -> dict[str, Any]:
        """The briefing's ``ic_by_year`` entry."""
        return {
            "year": self.year,
            "mean_ic": self.mean_ic,
            "mean_rank_ic": self.mean_rank_ic,
            "n_days": self.n_days,
        }


@dataclass(frozen=True)
class DecileReturn:
    """Mean forward return of one prediction decile (1 = lowest score)."""

    decile: int
    mean_fwd_return: float

    def to_dict(self) -> dict[str, Any]:
        """The briefing's ``deciles`` entry."""
        return {"decile": self.decile, "mean_fwd_return": self.mean_fwd_return}


@dataclass(frozen=True)
class OOSEvidence:
    """Further out-of-sample evidence of a run (see :mod:`sensequant.pipeline.statistics`).

    Attributes
    ----------
    zero_trades : bool
        The student portfolio never traded out of sample.
    comparisons : tuple of Comparison
        Only the differences that could be computed.
    bootstrap_extra : BootstrapExtra
    snooping : Snooping
    min_track_record_length : TrackRecord or None
    ic_by_year : tuple of ICYear
    deciles : tuple of DecileReturn
    decile_spread : float or None
        Top minus bottom decile mean forward return.
    """

    zero_trades: bool
    comparisons: tuple[Comparison, ...]
    bootstrap_extra: BootstrapExtra
    snooping: Snooping
    min_track_record_length: TrackRecord | None
    ic_by_year: tuple[ICYear, ...]
    deciles: tuple[DecileReturn, ...]
    decile_spread: float | None

    def to_dict(self) -> dict[str, Any]:
        """The briefing's evidence keys, in the order ``promotion_briefing.json`` lists them."""
        mtrl = self.min_track_record_length
        return {
            "zero_trades": self.zero_trades,
            "comparisons": [c.to_dict() for c in self.comparisons],
            "bootstrap_extra": self.bootstrap_extra.to_dict(),
            "snooping": self.snooping.to_dict(),
            "min_track_record_length": mtrl.to_dict() if mtrl is not None else None,
            "ic_by_year": [y.to_dict() for y in self.ic_by_year],
            "deciles": [d.to_dict() for d in self.deciles],
            "decile_spread": self.decile_spread,
        }


@dataclass(frozen=True)
class FeatureGain:
    """Gain importance of one feature of the release student."""

    feature: str
    gain: float


@dataclass(frozen=True)
class BriefingEvidence:
    """Everything the briefing shows beyond its core sections.

    Attributes
    ----------
    oos : OOSEvidence or None
        The run's further OOS evidence; None = none (e.g. a briefing built by hand).
    stress : Mapping or None
        ``StressReport.to_dict()`` of the stress replay; None when switched off.
    feature_importance : tuple of FeatureGain
        Release student's features, largest gain first.
    report : str or None
        Path of the HTML report relative to the run directory.
    """

    oos: OOSEvidence | None = None
    stress: Mapping[str, Any] | None = None
    feature_importance: tuple[FeatureGain, ...] = ()
    report: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The briefing's evidence keys (none at all for empty evidence).

        A run's evidence (``oos`` given, or a report) always lists ``stress``,
        ``feature_importance`` and ``report``, None where missing.
        """
        out = self.oos.to_dict() if self.oos is not None else {}
        if self.oos is not None or self.report is not None or self.stress is not None:
            out["stress"] = self.stress
            out["feature_importance"] = [
                {"feature": f.feature, "gain": f.gain} for f in self.feature_importance
            ]
            out["report"] = self.report
        return out
