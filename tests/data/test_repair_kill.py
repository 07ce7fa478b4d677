"""The import KILLED (``os._exit``, a real process death) at each step boundary heals.

A child process imports HINDALCO's real daily bars from 1996-10 on, then the whole file (which
adds the rows of its 1996-09-04 bonus, the one corporate action the detector finds in the
shared daily set) with one step replaced by ``os._exit(137)``: inside the store merge (a half
written temp file), after it, inside and after the corporate-action detection, inside and
after the catalog update. Whatever the step, the adjusted view after the next import, after
``sensequant data repair``, or after deleting the catalog and importing again is the one a
clean import gives. (``test_repair.py`` covers the same steps in process, by exception.)
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import sensequant
from sensequant.cli.main import app
from sensequant.data.adjusted import AdjustedBarStore
from sensequant.data.catalog import Catalog
from sensequant.data.imports import ImportReport, import_paths
from sensequant.data.store import BarStore

pytestmark = pytest.mark.realdata
BONUS = dt.date(1996, 9, 4)

CHILD = r"""
import os, sys
from pathlib import Path
import pyarrow.parquet as pq
import sensequant.data.imports.ingest as ingest
from sensequant.data.catalog import Catalog
from sensequant.data.imports import import_paths
from sensequant.data.store import BarStore

home, first, full, step = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
store = BarStore(home / "store")
assert import_paths([first], store, Catalog(home / "catalog.sqlite"), repair_ohlc=True).n_ok == 1

def die(*_, **__):
    os._exit(137)

def half_written(table, handle, **_):
    handle.write(b"PAR1 half a file")
    handle.flush()
    os._exit(137)

if step == "inside store merge":
    pq.write_table = half_written
elif step in ("inside corporate-action detection", "inside catalog update"):
    name = "replace_detected_actions" if "detection" in step else "record_import"
    setattr(Catalog, name, die)
else:
    setattr(ingest, {
        "after store merge": "recheck_merged",
        "after corporate-action detection": "file_sha256",
        "after catalog update": "_warn_findings",
    }[step], die)
import_paths([full], store, Catalog(home / "catalog.sqlite"), repair_ohlc=True)
sys.exit(3)  # not reached: the step must have killed the process
"""
STEPS = [
    "inside store merge",
    "after store merge",
    "inside corporate-action detection",
    "after corporate-action detection",
    "inside catalog update",
    "after catalog update",
]


def _import(home: Path, path: Path) -> ImportReport:
    store, catalog = BarStore(home / "store"), Catalog(home / "catalog.sqlite")
    return import_paths([path], store, catalog, repair_ohlc=True)


def _adjusted(home: Path) -> pd.DataFrame:
    catalog = Catalog(home / "catalog.sqlite")
    return AdjustedBarStore(home / "store", catalog).read("HINDALCO", "1day")


@pytest.fixture(scope="module")
def files(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the file from 1996-10-01 on, the whole file), in a temporary folder."""
    full = shared_data / "nse_daily_yf" / "HINDALCO.csv"
    lines = full.read_text(encoding="utf-8").splitlines(keepends=True)
    later = tmp_path_factory.mktemp("later") / "HINDALCO.csv"
    later.write_text(lines[0] + "".join(x for x in lines[1:] if x >= "1996-10-01"), "utf-8")
    return later, full


@pytest.fixture(scope="module")
def clean(files: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    home = tmp_path_factory.mktemp("clean")
    _import(home, files[1])
    actions = Catalog(home / "catalog.sqlite").corporate_actions("HINDALCO")
    assert list(actions["ex_date"]) == [BONUS.isoformat()]
    return _adjusted(home)


@pytest.mark.parametrize("step", STEPS)
def test_killed_import_heals_by_import_repair_or_a_new_catalog(
    files: tuple[Path, Path], clean: pd.DataFrame, tmp_path: Path, step: str
) -> None:
    later, full = files
    home = tmp_path / "killed"
    src = str(Path(sensequant.__file__).resolve().parents[1])
    env = os.environ | {"PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(home), str(later), str(full), step],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert child.returncode == 137, child.stderr
    stored = BarStore(home / "store").read("HINDALCO", "1day")
    merged = stored["timestamp"].iloc[0].date() < BONUS
    assert merged == (step != "inside store merge")
    if step in ("after store merge", "inside corporate-action detection"):
        # the loss: the 1996 rows are stored, the bonus is not recorded
        assert Catalog(home / "catalog.sqlite").corporate_actions("HINDALCO").empty
        assert not _adjusted(home).equals(clean)
    homes = {how: tmp_path / how for how in ("import", "repair", "deleted")}
    for copy in homes.values():
        shutil.copytree(home, copy)
    # 1. the next import (the same whole file)
    assert _import(homes["import"], full).n_failed == 0
    pd.testing.assert_frame_equal(_adjusted(homes["import"]), clean)
    # 2. `sensequant data repair` (the store may still lack the 1996 rows: then the import
    #    after it brings them; the derived state is right at each stage)
    res = CliRunner().invoke(app, ["data", "repair"], env={"SENSEQUANT_HOME": str(homes["repair"])})
    assert res.exit_code == 0, res.output
    if merged:
        pd.testing.assert_frame_equal(_adjusted(homes["repair"]), clean)
    _import(homes["repair"], full)
    pd.testing.assert_frame_equal(_adjusted(homes["repair"]), clean)
    # 3. the catalog deleted after the kill: the next import rebuilds what it derived
    for suffix in ("", "-wal", "-shm"):
        Path(f"{homes['deleted'] / 'catalog.sqlite'}{suffix}").unlink(missing_ok=True)
    _import(homes["deleted"], full)
    pd.testing.assert_frame_equal(_adjusted(homes["deleted"]), clean)
