"""An in-process cache of the phases a parameter sweep does not change.

:func:`sensequant.pipeline.run_pipeline` consults a :class:`RunCache` (when given one) in the
features and teachers phases. Features and frames are keyed by a hash of the ``data``,
``features`` and ``labels`` sections plus the pre-flight symbols and range; teacher outcomes by
that key plus the ``windows`` and ``teacher`` sections and the seed. Two sweep points that
differ only in, say, a student parameter therefore build features and train teachers once.

The cached objects are shared between runs and must not be mutated by later phases (they are
not: every later phase builds new frames from them). Without a cache (the default) the
pipeline is unchanged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from sensequant.pipeline.phase_results import FeaturesResult
from sensequant.pipeline.preflight import PreflightReport
from sensequant.pipeline.teachers import WindowOutcome
from sensequant.progress import Reporter
from sensequant.settings import RunConfig
from sensequant.telemetry import Telemetry

__all__ = ["RunCache", "features_key", "teachers_key"]


def _digest(payload: dict[str, Any]) -> str:
    blob = json.dumps(payload, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def features_key(config: RunConfig, pf: PreflightReport) -> str:
    """Hash of what features and labels depend on.

    Parameters
    ----------
    config : RunConfig
        The run configuration (its ``data``, ``features`` and ``labels`` sections count).
    pf : PreflightReport
        Pre-flight (its usable symbols and range count).

    Returns
    -------
    str
        16 hex characters.
    """
    return _digest(
        {
            "data": config.data.model_dump(mode="json"),
            "features": config.features.model_dump(mode="json"),
            "labels": config.labels.model_dump(mode="json"),
            "symbols": list(pf.symbols),
            "range": [str(pf.range_start), str(pf.range_end)],
        }
    )


def teachers_key(config: RunConfig, pf: PreflightReport) -> str:
    """Hash of what teacher outcomes depend on: :func:`features_key` plus the ``windows`` and
    ``teacher`` sections and the seed.

    Returns
    -------
    str
        16 hex characters.
    """
    return _digest(
        {
            "features": features_key(config, pf),
            "windows": config.windows.model_dump(mode="json"),
            "teacher": config.teacher.model_dump(mode="json"),
            "seed": config.seed,
        }
    )


class RunCache:
    """Features and teacher outcomes of earlier runs in this process, by content key.

    Attributes
    ----------
    hits, misses : dict of str to int
        Per phase (``"features"``, ``"teachers"``): how often a result was reused / computed.
    """

    def __init__(self) -> None:
        self._features: dict[str, FeaturesResult] = {}
        self._teachers: dict[str, list[WindowOutcome]] = {}
        self.hits: dict[str, int] = {"features": 0, "teachers": 0}
        self.misses: dict[str, int] = {"features": 0, "teachers": 0}

    def features(
        self,
        config: RunConfig,
        pf: PreflightReport,
        compute: Callable[[], FeaturesResult],
        rep: Reporter,
        tel: Telemetry,
    ) -> FeaturesResult:
        """The features phase result: cached, else ``compute()`` (then cached).

        A reused result is reported (progress line, ``features`` telemetry phase with
        ``cached: true``) like a computed one.
        """
        key = features_key(config, pf)
        hit = self._features.get(key)
        if hit is None:
            self.misses["features"] += 1
            result = compute()
            self._features[key] = result
            return result
        self.hits["features"] += 1
        rep.start("features", total=len(pf.symbols))
        with tel.phase("features") as res:
            n_rows = sum(len(f.features) for f in hit.frames.values())
            n_feat = next(iter(hit.frames.values())).features.shape[1]
            res.update(symbols=len(hit.frames), rows=n_rows, features=n_feat, cached=True)
        rep.done(f"{len(hit.frames)} symbols, {n_feat} features reused from an earlier run")
        return hit

    def teachers(
        self,
        config: RunConfig,
        pf: PreflightReport,
        compute: Callable[[], list[WindowOutcome]],
        on_symbol: Callable[[list[WindowOutcome]], None],
    ) -> list[WindowOutcome]:
        """Teacher outcomes: cached (replayed once through ``on_symbol``), else ``compute()``."""
        key = teachers_key(config, pf)
        hit = self._teachers.get(key)
        if hit is None:
            self.misses["teachers"] += 1
            outcomes = compute()
            self._teachers[key] = outcomes
            return outcomes
        self.hits["teachers"] += 1
        on_symbol(hit)
        return list(hit)
