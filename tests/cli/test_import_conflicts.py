"""``sensequant data import --on-conflict`` on the real RELIANCE daily bars (acceptance test).

Two made-up rows (2024-01-02 at Rs 10, 2024-01-03 at Rs 10.5) imported over the real series
are refused by default with both bars and their change listed; ``--on-conflict replace``
stores them and the post-merge jump check flags them for the audit; re-importing the real
file restores the series (the unchanged-file skip must not hide it).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sensequant.cli.main import app
from sensequant.data.catalog import Catalog
from sensequant.data.store import BarStore

runner = CliRunner()
TWO_ROWS = (
    "Date,Open,High,Low,Close,Adj Close,Volume\n"
    "2024-01-02,10,10,10,10,10,1000\n"
    "2024-01-03,10.5,10.5,10.5,10.5,10.5,1000\n"
)


def _run(home: Path, *args: str) -> tuple[int, str]:
    env = {"SENSEQUANT_HOME": str(home), "COLUMNS": "250"}
    res = runner.invoke(app, ["data", *args], env=env)
    assert "Traceback" not in res.output, res.output
    return res.exit_code, res.output


def _jumps(home: Path) -> int:
    code, out = _run(home, "audit", "--universe", "RELIANCE", "--json")
    assert code == 0, out
    payload = json.loads(out[out.index("{") : out.rindex("}") + 1])
    (row,) = payload["symbols"]
    return int(row["findings"].get("outlier_jump", 0))


@pytest.mark.realdata
def test_made_up_bars_refused_then_replaced_then_restored(
    shared_data: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    real = shared_data / "nse_daily_yf" / "RELIANCE.csv"
    code, out = _run(home, "import", str(real))
    assert code == 0, out
    store = BarStore(home / "store")
    original = store.fingerprint("RELIANCE", "1day")
    jumps_before = _jumps(home)
    fake = tmp_path / "src" / "reliance.csv"
    fake.parent.mkdir()
    fake.write_text(TWO_ROWS, encoding="utf-8")

    code, out = _run(home, "import", str(fake))
    assert code == 1
    assert "RELIANCE 1day: 2 stored bar(s) would change beyond float noise" in out
    assert "2024-01-02: open 2585 -> 10 (-99.61%)" in out
    assert "close 2611.7 -> 10 (-99.62%)" in out
    assert "2024-01-03: open 2610 -> 10.5 (-99.60%)" in out
    assert "--on-conflict replace" in out
    assert store.fingerprint("RELIANCE", "1day") == original  # nothing written

    code, out = _run(home, "import", str(fake), "--on-conflict", "replace")
    assert code == 0, out
    bars = store.read("RELIANCE", "1day", start="2024-01-02", end="2024-01-03")
    assert list(bars["close"]) == [10.0, 10.5]
    assert _jumps(home) > jumps_before  # the audit flags the new values
    found = Catalog(home / "catalog.sqlite").findings("RELIANCE")
    merged = found.loc[found["detail"].str.startswith("after merge")]
    assert len(merged) == 1 and "2024-01-02" in merged["detail"].iloc[0]

    code, out = _run(home, "import", str(real))  # the store differs: read again, refused
    assert code == 1 and "2024-01-02: open 10 -> 2585" in out
    code, out = _run(home, "import", str(real), "--on-conflict", "replace")
    assert code == 0 and "0 unchanged (skipped)" in out, out
    assert store.fingerprint("RELIANCE", "1day") == original
    # the same file under the default policy: read again (the skip key holds --on-conflict),
    # nothing changes; then it is what the last import wrote with these options: skipped
    code, out = _run(home, "import", str(real))
    assert code == 0 and "(0 new or changed bars), 0 unchanged (skipped)" in out, out
    code, out = _run(home, "import", str(real))
    assert code == 0 and "1 unchanged (skipped)" in out, out


def test_keep_adds_only_new_bars(tmp_path: Path) -> None:
    home = tmp_path / "home"
    src = tmp_path / "src"
    src.mkdir()
    (src / "TCS.csv").write_text(TWO_ROWS, encoding="utf-8")
    assert _run(home, "import", str(src / "TCS.csv"))[0] == 0
    (src / "TCS.csv").write_text(
        TWO_ROWS.replace("10.5,10.5,10.5,10.5", "11,11,11,11")
        + "2024-01-04,10.7,10.7,10.7,10.7,10.7,1000\n",
        encoding="utf-8",
    )
    code, out = _run(home, "import", str(src / "TCS.csv"), "--on-conflict", "keep")
    assert code == 0, out
    stored = BarStore(home / "store").read("TCS", "1day")
    assert list(stored["close"]) == [10.0, 10.5, 10.7]
    code, out = _run(home, "import", str(src), "--on-conflict", "overwrite")
    assert code == 2 and "unknown --on-conflict policy 'overwrite'" in out
