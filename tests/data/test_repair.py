"""Durable corrections: fault injection, ``data repair``, damaged and missing catalogs.

The case is HINDALCO's real 1996-09-04 bonus (an unadjusted 1:2 in Yahoo's earliest rows,
the one action the detector finds in the shared daily set): whatever step of an import is
killed, the adjusted view after the next import or ``data repair`` is the one a clean import
gives.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from sensequant.cli.main import app
from sensequant.data.adjusted import AdjustedBarStore
from sensequant.data.catalog import Catalog
from sensequant.data.imports import import_paths, ingest
from sensequant.data.repair import open_catalog, repair_catalog
from sensequant.data.store import BarStore
from sensequant.errors import CatalogCorruptError, UsageError
from sensequant.identity import os_user
from sensequant.testing.synthetic import synthetic_bars

EX_DATE = dt.date(1996, 9, 4)
runner = CliRunner()


class Killed(BaseException):
    """Stands for the process dying: not caught by the importer's ``except Exception``."""


def _kill(*_: Any, **__: Any) -> None:
    raise Killed


def _home(tmp_path: Path, name: str) -> tuple[BarStore, Path]:
    return BarStore(tmp_path / name / "store"), tmp_path / name / "catalog.sqlite"


def _adjusted(store: BarStore, catalog_path: Path) -> pd.DataFrame:
    return AdjustedBarStore(store.root, Catalog(catalog_path)).read("HINDALCO", "1day")


@pytest.fixture(scope="module")
def hindalco(shared_data: Path) -> Path:
    return shared_data / "nse_daily_yf" / "HINDALCO.csv"


@pytest.fixture(scope="module")
def clean(hindalco: Path, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    store, path = _home(tmp_path_factory.mktemp("clean"), "h")
    import_paths([hindalco], store, Catalog(path), repair_ohlc=True)
    actions = Catalog(path).corporate_actions("HINDALCO")
    assert list(actions["ex_date"]) == [EX_DATE.isoformat()]
    adjusted = _adjusted(store, path)
    assert not adjusted.equals(store.read("HINDALCO", "1day"))  # the factor is applied
    return adjusted


# the step boundaries of one series' import: after the store merge, after the post-merge
# check, after the corporate-action detection, after the catalog's import row
BOUNDARIES = {
    "after store merge": ("recheck_merged", ingest),
    "before corporate-action detection": ("sync_actions", ingest),
    "after corporate-action detection": ("file_sha256", ingest),
    "after catalog update": ("_warn_findings", ingest),
}


@pytest.mark.realdata
@pytest.mark.parametrize("boundary", list(BOUNDARIES))
@pytest.mark.parametrize("recovery", ["next import", "data repair"])
def test_import_killed_at_each_step_heals(
    hindalco: Path,
    clean: pd.DataFrame,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    boundary: str,
    recovery: str,
) -> None:
    store, path = _home(tmp_path, "h")
    name, module = BOUNDARIES[boundary]
    with monkeypatch.context() as patch:
        patch.setattr(module, name, _kill)
        with pytest.raises(Killed):
            import_paths([hindalco], store, Catalog(path), repair_ohlc=True)
    assert store.exists("HINDALCO", "1day")  # the bars were stored before the kill
    if recovery == "next import":
        report = import_paths([hindalco], store, Catalog(path), repair_ohlc=True)
        assert report.n_failed == 0
    else:
        repair_catalog(store, path)
    pd.testing.assert_frame_equal(_adjusted(store, path), clean)


@pytest.mark.realdata
def test_deleted_catalog_is_rebuilt(hindalco: Path, clean: pd.DataFrame, tmp_path: Path) -> None:
    store, path = _home(tmp_path, "h")
    import_paths([hindalco], store, Catalog(path), repair_ohlc=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    notes: list[str] = []
    catalog = open_catalog(path, store, notify=notes.append)
    assert len(notes) == 1 and "was missing beside the bar store" in notes[0]
    assert list(catalog.corporate_actions("HINDALCO")["ex_date"]) == [EX_DATE.isoformat()]
    pd.testing.assert_frame_equal(_adjusted(store, path), clean)
    path.unlink()  # and the next import alone heals it too
    import_paths([hindalco], store, Catalog(path), repair_ohlc=True)
    pd.testing.assert_frame_equal(_adjusted(store, path), clean)


@pytest.mark.realdata
def test_review_survives_repair_and_redetection(hindalco: Path, tmp_path: Path) -> None:
    store, path = _home(tmp_path, "h")
    import_paths([hindalco], store, Catalog(path), repair_ohlc=True)
    catalog = Catalog(path)
    catalog.review_corporate_action("HINDALCO", EX_DATE, "rejected", reviewer_name="A. Rao")
    raw = store.read("HINDALCO", "1day")
    for heal in (
        lambda: repair_catalog(store, path),
        lambda: import_paths([hindalco], store, Catalog(path), force=True, repair_ohlc=True),
    ):
        heal()
        actions = Catalog(path).corporate_actions("HINDALCO")
        assert list(actions["status"]) == ["rejected"]
        pd.testing.assert_frame_equal(_adjusted(store, path), raw)  # rejected: not applied
    (review,) = Catalog(path).action_reviews("HINDALCO").to_dict("records")
    assert (review["reviewer"], review["reviewer_name"]) == (os_user(), "A. Rao")
    assert review["fingerprint"].startswith("1day:")
    with pytest.raises(UsageError, match="display name"):
        catalog.review_corporate_action("HINDALCO", EX_DATE, "confirmed", reviewer_name="\x1b[31m")


def test_confirmed_action_stays_when_no_longer_detected(tmp_path: Path) -> None:
    store, path = _home(tmp_path, "h")
    store.write("ABC", "1day", synthetic_bars("ABC", "1day", "2024-01-01", "2024-03-31"))
    catalog = Catalog(path)
    catalog.replace_detected_actions(
        "ABC", "1day", "stale", [{"ex_date": "2024-02-01", "kind": "split", "price_factor": 0.5}]
    )
    catalog.review_corporate_action("ABC", dt.date(2024, 2, 1), "confirmed", reviewer="ops")
    repair_catalog(store, path)  # the synthetic bars hold no split: detection finds nothing
    (row,) = Catalog(path).corporate_actions("ABC").to_dict("records")
    assert (row["status"], row["source"]) == ("confirmed", "review")
    assert "confirmed by ops" in row["detail"]


def _zero_page(path: Path, page: int) -> None:
    size = 4096
    with path.open("r+b") as handle:
        handle.seek((page - 1) * size)
        handle.write(b"\0" * size)


def test_damaged_catalog_message_and_repair(tmp_path: Path) -> None:
    home = tmp_path / "home"
    store = BarStore(home / "store")
    store.write("ABC", "1day", synthetic_bars("ABC", "1day", "2024-01-01", "2024-03-31"))
    path = home / "catalog.sqlite"
    Catalog(path)  # created with its schema; closing checkpoints the WAL into the file
    wal = Path(f"{path}-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    _zero_page(path, 2)
    with pytest.raises(CatalogCorruptError, match="damaged"):
        Catalog(path)
    env = {"SENSEQUANT_HOME": str(home), "COLUMNS": "200"}
    res = runner.invoke(app, ["data", "list"], env=env)
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert f"the catalog {path} is damaged (quick_check:" in res.output
    assert "run `sensequant data repair`" in res.output
    res = runner.invoke(app, ["data", "repair"], env=env)
    assert res.exit_code == 0, res.output
    assert "the damaged catalog was moved to" in res.output
    assert "corporate actions detected again on 1 stored series" in res.output
    Catalog(path)  # usable again
    assert list(path.parent.glob("catalog.sqlite.damaged-*"))


def test_missing_catalog_is_rebuilt_with_a_warning(tmp_path: Path) -> None:
    home = tmp_path / "home"
    BarStore(home / "store").write(
        "ABC", "1day", synthetic_bars("ABC", "1day", "2024-01-01", "2024-03-31")
    )
    env = {"SENSEQUANT_HOME": str(home), "COLUMNS": "200"}
    res = runner.invoke(app, ["data", "actions"], env=env)
    assert res.exit_code == 0, res.output
    assert "warning: the catalog" in res.output and "was missing beside the bar store" in res.output
    assert (home / "catalog.sqlite").is_file()
    state = Catalog(home / "catalog.sqlite").action_detections()
    assert list(zip(state["symbol"], state["interval"], strict=True)) == [("ABC", "1day")]


def test_audit_reports_catalog_store_mismatch_until_repair(tmp_path: Path) -> None:
    from sensequant.data.quality import audit_store

    store, path = _home(tmp_path, "h")
    bars = synthetic_bars("ABC", "1day", "2024-01-01", "2024-03-31")
    store.write("ABC", "1day", bars)
    store.write("XYZ", "1day", synthetic_bars("XYZ", "1day", "2024-01-01", "2024-03-31"))
    (abc,) = audit_store(store, Catalog(path), ["ABC"], "1day", write=False).symbols
    assert (abc.catalog_state, abc.status) == ("missing", "ok")  # a catalog with no detection
    repair_catalog(store, path)
    (abc,) = audit_store(store, Catalog(path), ["ABC"], "1day", write=False).symbols
    assert (abc.catalog_state, abc.status) == ("current", "ok")
    store.write("ABC", "1day", bars.assign(close=bars["close"] * 1.01))  # behind the catalog
    Catalog(path).drop_detected_actions("XYZ", "1day")
    report = audit_store(store, Catalog(path), None, "1day", write=False)
    abc, xyz = report.symbols
    assert (abc.catalog_state, abc.status) == ("stale", "warn")
    assert any("catalog does not match the store" in p and "data repair" in p for p in abc.problems)
    assert (xyz.catalog_state, xyz.status) == ("missing", "warn")
    assert report.summary()["catalog_mismatches"] == ["ABC", "XYZ"]
    repair_catalog(store, path)
    report = audit_store(store, Catalog(path), None, "1day", write=False)
    assert [s.catalog_state for s in report.symbols] == ["current", "current"]


def test_repair_keeps_what_the_damaged_file_still_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sensequant.data.catalog import SymbolInfo
    from sensequant.data.catalog.connection import CatalogBase

    store, path = _home(tmp_path, "h")
    store.write("ABC", "1day", synthetic_bars("ABC", "1day", "2024-01-01", "2024-03-31"))
    catalog = Catalog(path)
    catalog.upsert_symbols([SymbolInfo("ABC", industry="Metals")])
    catalog.set_universe("metals", ["ABC"], "x.csv", None)
    catalog.replace_detected_actions(
        "ABC", "1day", "old", [{"ex_date": "2024-02-01", "kind": "split", "price_factor": 0.5}]
    )
    catalog.review_corporate_action("ABC", dt.date(2024, 2, 1), "confirmed", reviewer="ops")
    original = CatalogBase._quick_check
    calls = {"n": 0}

    def damaged_once(self: CatalogBase, con: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:  # the file repair finds is reported damaged
            raise CatalogCorruptError("damaged (test)")
        original(self, con)

    monkeypatch.setattr(CatalogBase, "_quick_check", damaged_once)
    report = repair_catalog(store, path)
    assert report.moved_aside is not None and report.moved_aside.is_file()
    assert report.salvaged["action_reviews"] == 1 and report.salvaged["symbols"] == 1
    assert report.salvaged["corporate_actions"] == 0  # derived rows are rebuilt, not copied
    fresh = Catalog(path)
    assert fresh.universe("metals") == ["ABC"]
    (row,) = fresh.corporate_actions("ABC").to_dict("records")
    assert (row["status"], row["source"]) == ("confirmed", "review")  # kept by the review


def test_every_data_command_names_a_damaged_catalog(tmp_path: Path) -> None:
    """The issue's case: with a zeroed catalog page, `data import` must not report success
    while `data actions` crashes; each command exits 1 pointing at `data repair`."""
    home = tmp_path / "home"
    store = BarStore(home / "store")
    store.write("ABC", "1day", synthetic_bars("ABC", "1day", "2024-01-01", "2024-03-31"))
    src = tmp_path / "src" / "TCS.csv"
    src.parent.mkdir()
    src.write_text(
        "Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,10,11,9,10,10,100\n", "utf-8"
    )
    path = home / "catalog.sqlite"
    Catalog(path)
    _zero_page(path, 2)
    env = {"SENSEQUANT_HOME": str(home), "COLUMNS": "200"}
    for args in (["import", str(src)], ["actions"], ["breaks"], ["audit"], ["list"]):
        res = runner.invoke(app, ["data", *args], env=env)
        assert res.exit_code == 1 and "Traceback" not in res.output, (args, res.output)
        assert "is damaged" in res.output and "sensequant data repair" in res.output, args
    assert not store.exists("TCS", "1day")  # nothing imported behind a damaged catalog
