"""The trial ledger: every configuration ever evaluated, for honest deflated statistics.

A *trial* is one configuration whose out-of-sample (OOS) daily net returns were looked at: a
run's released strategy, each portfolio rule it compared, each model variant (student,
teacher-direct, direct model), each sweep point. Selecting the best of N trials inflates its
Sharpe ratio; the deflated Sharpe ratio (Bailey & López de Prado 2014) corrects for it with
the number of trials N and the variance of their Sharpe ratios V[SR] -- which is only honest
if N counts *every* trial, including those of earlier runs and sweeps on the same data.

The ledger is a table ``trials`` in the registry database (append-only: UPDATE and DELETE are
refused by triggers; nothing in the CLI removes rows) plus one Parquet file of daily net
returns per trial under ``<home>/ledger/``, named by the SHA-256 of its content and recorded
with that hash, so a trial's returns can be re-read and checked.

:meth:`TrialLedger.matching` selects the trials comparable with a run: same universe, same
bar interval and an OOS span that overlaps the run's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import sqlite3
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from sensequant import dbutil
from sensequant.errors import RegistryError
from sensequant.fsutil import write_bytes_atomic
from sensequant.release.registry import Registry
from sensequant.types import IST

__all__ = ["LedgerTrial", "TrialLedger", "TrialSpec"]


@dataclass(frozen=True)
class TrialSpec:
    """One trial to record.

    Attributes
    ----------
    name : str
        Human-readable label (e.g. ``"student top10 p>=0.40 every 5"``).
    kind : str
        ``model``, ``portfolio``, ``baseline`` or ``sweep``.
    config_hash : str
        Hash of the full configuration that produced the returns.
    returns : pandas.Series
        Daily OOS net returns (fractions), indexed by session timestamp (tz-aware IST).
    """

    name: str
    kind: str
    config_hash: str
    returns: pd.Series


@dataclass(frozen=True)
class LedgerTrial:
    """A ledger row.

    ``sr_per_period`` is the non-annualised Sharpe ratio of the trial's daily net returns
    (mean / standard deviation, ddof=1; None when undefined).
    """

    trial_id: int
    run_id: str
    recorded_at: str
    name: str
    kind: str
    config_hash: str
    universe: str
    interval: str
    oos_start: str
    oos_end: str
    n_obs: int
    sr_per_period: float | None
    returns_sha256: str
    returns_path: str


def _ist(value: object) -> pd.Timestamp:
    t = pd.Timestamp(value)  # type: ignore[arg-type]
    return t.tz_localize(IST) if t.tzinfo is None else t.tz_convert(IST)


def _returns_bytes(returns: pd.Series) -> bytes:
    """The Parquet file the ledger keeps for a trial's returns (its SHA-256 is the trial's
    returns fingerprint)."""
    frame = pd.DataFrame({"timestamp": returns.index, "net_return": returns.to_numpy()})
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False, compression="zstd")
    return buf.getvalue()


def _sr_per_period(r: pd.Series) -> float | None:
    x = r.dropna().to_numpy(dtype=np.float64)
    if x.size < 2:
        return None
    sd = float(np.std(x, ddof=1))
    return float(np.mean(x) / sd) if sd > 0 else None


class TrialLedger:
    """Append-only record of trials in the registry database.

    Parameters
    ----------
    registry_path : pathlib.Path
        The registry database (``<home>/registry.sqlite``); its schema is migrated on open.
    returns_dir : pathlib.Path
        Folder of the per-trial return files (``<home>/ledger``).

    Raises
    ------
    RegistryError
        If the database cannot be opened or a return file is missing or altered.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> home = Path(tempfile.mkdtemp())
    >>> ledger = TrialLedger(home / "registry.sqlite", home / "ledger")
    >>> days = pd.date_range("2024-01-01", periods=5, freq="D", tz="Asia/Kolkata")
    >>> r = pd.Series([0.01, -0.02, 0.0, 0.01, 0.02], index=days)
    >>> spec = TrialSpec("demo", "model", "abc123", r)
    >>> [t.name for t in ledger.append("run-1", "nifty50", "1day", [spec])]
    ['demo']
    >>> len(ledger.matching("nifty50", "1day", days[0], days[-1]))
    1
    """

    def __init__(self, registry_path: Path, returns_dir: Path) -> None:
        Registry(registry_path)  # creates / migrates the schema (trials table: version 2)
        self.path = Path(registry_path)
        self.returns_dir = Path(returns_dir)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with dbutil.connect(self.path, timeout=30.0, row_factory=True) as conn:
            yield conn

    def _write_returns(self, returns: pd.Series) -> tuple[str, Path]:
        data = _returns_bytes(returns)
        sha = hashlib.sha256(data).hexdigest()
        path = self.returns_dir / f"{sha}.parquet"
        if not path.exists():
            self.returns_dir.mkdir(parents=True, exist_ok=True)
            write_bytes_atomic(path, data)
        return sha, path

    def append(
        self, run_id: str, universe: str, interval: str, trials: Sequence[TrialSpec]
    ) -> list[LedgerTrial]:
        """Record ``trials`` of one run (one transaction); returns the new rows.

        Parameters
        ----------
        run_id : str
            The run (or sweep) that evaluated them.
        universe, interval : str
            Scope used by :meth:`matching` (e.g. ``"nifty50"``, ``"1day"``).
        trials : sequence of TrialSpec
            Trials with their daily OOS net returns; empty series are recorded with
            ``n_obs = 0`` and no Sharpe ratio.
        """
        now = dt.datetime.now(ZoneInfo(IST)).isoformat(timespec="seconds")
        rows = []
        for t in trials:
            r = t.returns.dropna()
            sha, path = self._write_returns(r)
            start = str(r.index.min()) if len(r) else ""
            end = str(r.index.max()) if len(r) else ""
            rows.append(
                (
                    run_id,
                    now,
                    t.name,
                    t.kind,
                    t.config_hash,
                    universe,
                    interval,
                    start,
                    end,
                    len(r),
                    _sr_per_period(r),
                    sha,
                    str(path),
                )
            )
        with self._connect() as conn, dbutil.immediate(conn):
            first = conn.execute("SELECT COALESCE(MAX(trial_id), 0) FROM trials").fetchone()[0]
            conn.executemany(
                "INSERT INTO trials (run_id, recorded_at, name, kind, config_hash, universe, "
                "interval, oos_start, oos_end, n_obs, sr_per_period, returns_sha256, "
                "returns_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            added = conn.execute(
                "SELECT * FROM trials WHERE trial_id > ? ORDER BY trial_id", (first,)
            ).fetchall()
        return [LedgerTrial(**dict(row)) for row in added]

    def all(self) -> list[LedgerTrial]:
        """Every ledger row, oldest first."""
        return self._select("", ())

    def _select(self, where: str, args: tuple[object, ...]) -> list[LedgerTrial]:
        with self._connect() as conn:
            rows = conn.execute(f"SELECT * FROM trials {where} ORDER BY trial_id", args).fetchall()
        return [LedgerTrial(**dict(row)) for row in rows]

    def matching(
        self, universe: str, interval: str, oos_start: pd.Timestamp, oos_end: pd.Timestamp
    ) -> list[LedgerTrial]:
        """Trials on the same universe and interval whose OOS span overlaps ``[start, end]``.

        Naive bounds (e.g. dates) are read as IST wall-clock times.
        """
        lo, hi = _ist(oos_start), _ist(oos_end)
        scope = self._select(
            "WHERE universe = ? AND interval = ? AND n_obs > 0", (universe, interval)
        )  # the trials_scope index serves this; the span overlap is checked on timestamps
        return [t for t in scope if _ist(t.oos_start) <= hi and _ist(t.oos_end) >= lo]

    def returns_of(self, trial: LedgerTrial) -> pd.Series:
        """The trial's daily net returns, after checking the file against its hash."""
        path = Path(trial.returns_path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise RegistryError(
                f"ledger returns of trial {trial.trial_id} ({trial.name!r}) are missing: {path}",
                hint="the ledger folder must stay beside the registry (SENSEQUANT_HOME/ledger)",
            ) from exc
        if hashlib.sha256(data).hexdigest() != trial.returns_sha256:
            raise RegistryError(
                f"ledger returns of trial {trial.trial_id} ({trial.name!r}) were altered: {path}",
                hint="restore the file; the ledger keeps its SHA-256",
            )
        frame = pd.read_parquet(io.BytesIO(data))
        return pd.Series(frame["net_return"].to_numpy(), index=pd.DatetimeIndex(frame["timestamp"]))

    def returns_matrix(
        self, trials: Sequence[LedgerTrial], dates: pd.DatetimeIndex, *, min_coverage: float = 0.9
    ) -> pd.DataFrame:
        """Daily net returns of ``trials`` on ``dates``, one column per distinct series.

        The input of PBO by CSCV over the model configurations in the ledger: a trial is kept
        when its returns cover at least ``min_coverage`` of ``dates``; identical series (the
        same configuration run twice gives the same file hash) are kept once. Columns are
        named ``ledger <trial_id> <name>``. Sessions a kept trial lacks stay NaN (the caller
        drops them).

        Parameters
        ----------
        trials : sequence of LedgerTrial
            Typically :meth:`matching` for the run's universe, interval and OOS span.
        dates : pandas.DatetimeIndex
            The run's OOS sessions (tz-aware IST).
        min_coverage : float, default 0.9
            Fewest fraction of ``dates`` a trial must have returns on.

        Returns
        -------
        pandas.DataFrame, shape (len(dates), k)

        Raises
        ------
        RegistryError
            A return file is missing or altered (see :meth:`returns_of`).
        """
        columns: dict[str, pd.Series] = {}
        seen: set[str] = set()
        for trial in trials:
            if trial.returns_sha256 in seen:
                continue
            seen.add(trial.returns_sha256)
            r = self.returns_of(trial)
            r = r[~r.index.duplicated()].reindex(dates)
            if len(dates) and r.notna().mean() >= min_coverage:
                columns[f"ledger {trial.trial_id} {trial.name}"] = r
        return pd.DataFrame(columns, index=dates)

    @staticmethod
    def returns_fingerprint(returns: pd.Series) -> str:
        """The ``returns_sha256`` :meth:`append` would record for these returns (NaN dropped).

        Identical returns (the same configuration run again on the same data) give the same
        fingerprint, however often they are recorded.
        """
        return hashlib.sha256(_returns_bytes(returns.dropna())).hexdigest()

    @staticmethod
    def distinct(
        trials: Sequence[LedgerTrial], *, exclude: Collection[str] = ()
    ) -> list[LedgerTrial]:
        """``trials`` with one row per returns fingerprint (the oldest), for trial counts.

        Re-running a configuration on the same data appends rows with the same
        ``returns_sha256``; the deflated Sharpe ratio counts such a trial once.

        Parameters
        ----------
        trials : sequence of LedgerTrial
            E.g. :meth:`matching`.
        exclude : collection of str
            Fingerprints already counted elsewhere (the current run's own trials).

        Returns
        -------
        list of LedgerTrial
            In the given order.
        """
        seen = set(exclude)
        out = []
        for t in trials:
            if t.returns_sha256 not in seen:
                seen.add(t.returns_sha256)
                out.append(t)
        return out

    @staticmethod
    def sharpe_dispersion(trials: Sequence[LedgerTrial]) -> Mapping[str, float]:
        """N and V[SR] (per period) of ``trials``, the inputs of the deflated Sharpe ratio."""
        srs = np.array([t.sr_per_period for t in trials if t.sr_per_period is not None])
        var = float(np.var(srs, ddof=1)) if srs.size > 1 else float("nan")
        return {"n_trials": float(srs.size), "var_sr": var}
