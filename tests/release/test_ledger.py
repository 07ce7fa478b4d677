"""Tests of the trial ledger: append-only rows, hashed return files, scope matching."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sensequant.errors import RegistryError
from sensequant.release.ledger import TrialLedger, TrialSpec
from sensequant.release.registry import Registry


def _returns(start: str, n: int, seed: int) -> pd.Series:
    days = pd.bdate_range(start, periods=n, tz="Asia/Kolkata")
    return pd.Series(np.random.default_rng(seed).normal(0.0005, 0.01, n), index=days)


@pytest.fixture
def ledger(tmp_path: Path) -> TrialLedger:
    return TrialLedger(tmp_path / "registry.sqlite", tmp_path / "ledger")


def test_append_records_sharpe_and_hash(ledger: TrialLedger) -> None:
    r = _returns("2020-01-01", 300, 1)
    (row,) = ledger.append("run-a", "nifty50", "1day", [TrialSpec("s", "model", "h1", r)])
    assert row.n_obs == 300 and row.kind == "model" and row.config_hash == "h1"
    assert row.sr_per_period == pytest.approx(r.mean() / r.std(ddof=1))
    back = ledger.returns_of(row)
    np.testing.assert_array_equal(back.to_numpy(), r.to_numpy())
    later = [TrialSpec(n, "sweep", "h2", r.iloc[:100]) for n in ("p", "q")]
    added = ledger.append("run-b", "nifty50", "1day", later)
    assert [(t.name, t.run_id) for t in added] == [("p", "run-b"), ("q", "run-b")]
    assert [t.trial_id for t in ledger.all()] == [row.trial_id, *(t.trial_id for t in added)]


def test_matching_needs_same_universe_interval_and_overlap(ledger: TrialLedger) -> None:
    ledger.append(
        "a", "nifty50", "1day", [TrialSpec("x", "model", "h", _returns("2020-01-01", 50, 1))]
    )
    ledger.append(
        "b", "nifty50", "5minute", [TrialSpec("y", "model", "h", _returns("2020-01-01", 50, 2))]
    )
    ledger.append(
        "c", "metals", "1day", [TrialSpec("z", "model", "h", _returns("2020-01-01", 50, 3))]
    )
    ledger.append(
        "d", "nifty50", "1day", [TrialSpec("w", "model", "h", _returns("2022-01-01", 50, 4))]
    )
    lo, hi = (
        pd.Timestamp("2020-02-01", tz="Asia/Kolkata"),
        pd.Timestamp("2020-12-31", tz="Asia/Kolkata"),
    )
    assert [t.name for t in ledger.matching("nifty50", "1day", lo, hi)] == ["x"]
    disp = TrialLedger.sharpe_dispersion(ledger.all())
    assert disp["n_trials"] == 4 and disp["var_sr"] > 0


def test_rows_cannot_be_edited_or_deleted(ledger: TrialLedger, tmp_path: Path) -> None:
    ledger.append(
        "a", "nifty50", "1day", [TrialSpec("x", "model", "h", _returns("2020-01-01", 20, 1))]
    )
    con = sqlite3.connect(tmp_path / "registry.sqlite")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE trials SET sr_per_period = 9")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("DELETE FROM trials")
    con.close()


def test_altered_returns_file_is_refused(ledger: TrialLedger) -> None:
    (row,) = ledger.append(
        "a", "nifty50", "1day", [TrialSpec("x", "model", "h", _returns("2020-01-01", 20, 1))]
    )
    Path(row.returns_path).write_bytes(b"not parquet")
    with pytest.raises(RegistryError, match="altered"):
        ledger.returns_of(row)


def test_registry_of_version_one_migrates(tmp_path: Path) -> None:
    path = tmp_path / "registry.sqlite"
    Registry(path)
    con = sqlite3.connect(path)
    con.execute("DROP TABLE trials")
    con.execute("PRAGMA user_version=1")
    con.commit()
    con.close()
    ledger = TrialLedger(path, tmp_path / "ledger")
    assert ledger.all() == []
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 4


def test_returns_matrix_keeps_covering_distinct_series(ledger: TrialLedger) -> None:
    full = _returns("2020-01-01", 300, 1)
    other = _returns("2020-01-01", 300, 2)
    short = full.iloc[:100]  # covers a third of the dates: left out
    specs = [
        TrialSpec("a", "model", "h1", full),
        TrialSpec("a again", "model", "h1", full),  # same series, same file hash: kept once
        TrialSpec("b", "model", "h2", other),
        TrialSpec("short", "model", "h3", short),
    ]
    rows = ledger.append("run-a", "nifty50", "1day", specs)
    matrix = ledger.returns_matrix(rows, pd.DatetimeIndex(full.index))
    assert list(matrix.columns) == [f"ledger {rows[0].trial_id} a", f"ledger {rows[2].trial_id} b"]
    np.testing.assert_array_equal(matrix.iloc[:, 1].to_numpy(), other.to_numpy())
    assert matrix.index.equals(full.index)


def test_distinct_keeps_one_row_per_returns_fingerprint(ledger: TrialLedger) -> None:
    r, other = _returns("2020-01-01", 60, 1), _returns("2020-01-01", 60, 2)
    spec = [TrialSpec("x", "model", "h", r), TrialSpec("y", "model", "h", other)]
    first = ledger.append("run-a", "nifty50", "1day", spec)
    again = ledger.append("run-b", "nifty50", "1day", spec)  # the same config, same data
    rows = ledger.all()
    assert len(rows) == 4
    assert TrialLedger.returns_fingerprint(r) == first[0].returns_sha256
    assert TrialLedger.returns_fingerprint(r) == again[0].returns_sha256
    assert TrialLedger.returns_fingerprint(r) != TrialLedger.returns_fingerprint(other)
    kept = TrialLedger.distinct(rows)
    assert [(t.run_id, t.name) for t in kept] == [("run-a", "x"), ("run-a", "y")]
    assert TrialLedger.distinct(rows, exclude={first[1].returns_sha256}) == [first[0]]
