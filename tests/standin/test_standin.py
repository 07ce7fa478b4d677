"""The Breeze stand-in, spoken to over HTTP with ``requests`` (the SDK contract tests live with
the Breeze provider)."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import io
import json
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import requests

from sensequant.data.market import session_bar_starts
from sensequant.testing.synthetic import synthetic_bars
from sensequant.types import IST
from tests.standin.faults import INJECTABLE_KINDS, FaultPlan
from tests.standin.master import NSE_COLUMNS, isin_check_digit
from tests.standin.server import BreezeStandIn, HistoricalRequest

TIMEOUT = 10.0
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def standin() -> Iterator[BreezeStandIn]:
    """A running stand-in; every test using it also proves no order/money call was made."""
    with BreezeStandIn() as s:
        yield s
        assert s.forbidden_calls == []


def v2(
    s: BreezeStandIn,
    code: str = "RELIND",
    interval: str = "5minute",
    frm: str = "2024-01-02T09:15:00.000Z",
    to: str = "2024-01-02T15:30:00.000Z",
    *,
    apikey: str | None = None,
    token: str | None = None,
    timeout: float = TIMEOUT,
) -> requests.Response:
    params = {
        "interval": interval,
        "from_date": frm,
        "to_date": to,
        "stock_code": code,
        "exch_code": "NSE",
        "product_type": "cash",
    }
    headers = {
        "Content-Type": "application/json",
        "X-SessionToken": token or s.session_header,
        "apikey": apikey or s.api_key,
    }
    return requests.get(
        s.hist_url + "historicalcharts", params=params, headers=headers, timeout=timeout
    )


def signed(
    s: BreezeStandIn, endpoint: str, body: dict[str, Any], *, secret: str | None = None
) -> requests.Response:
    """A v1 call signed the way breeze_connect's generate_headers signs it."""
    raw = json.dumps(body, separators=(",", ":"))
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S") + ".000Z"
    checksum = hashlib.sha256((stamp + raw + (secret or s.api_secret)).encode()).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Checksum": "token " + checksum,
        "X-Timestamp": stamp,
        "X-AppKey": s.api_key,
        "X-SessionToken": s.session_header,
    }
    return requests.get(s.api_url + endpoint, data=raw, headers=headers, timeout=TIMEOUT)


def customer(s: BreezeStandIn, token: str, key: str) -> dict[str, Any]:
    body = json.dumps({"SessionToken": token, "AppKey": key}, separators=(",", ":"))
    r = requests.get(s.api_url + "customerdetails", data=body, timeout=TIMEOUT)
    out: dict[str, Any] = r.json()
    return out


# -- security master ---------------------------------------------------------------------------
def test_security_master_zip_has_the_real_layout(standin: BreezeStandIn) -> None:
    r = requests.get(standin.security_master_url, timeout=TIMEOUT)
    assert r.status_code == 200
    zf = zipfile.ZipFile(io.BytesIO(r.content))
    assert {"NSEScripMaster.txt", "BSEScripMaster.txt"} <= set(zf.namelist())
    text = zf.read("NSEScripMaster.txt").decode()
    assert text.splitlines()[0].startswith('"Token", "ShortName", "Series"')
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][1] == ' "ShortName"'  # the documented quirk: a naive reader keeps ` "..."`
    header = [c.strip().strip('"') for c in rows[0]]
    assert tuple(header) == NSE_COLUMNS
    table = [
        dict(zip(header, (c.strip().strip('"') for c in row), strict=True)) for row in rows[1:]
    ]
    by_symbol = {t["ExchangeCode"]: t for t in table}
    assert by_symbol["RELIANCE"]["ShortName"] == "RELIND"
    assert by_symbol["RELIANCE"]["Token"] == "2885"
    assert by_symbol["NIFTY 50"]["ShortName"] == "NIFTY"
    assert {"GOLDBEES", "SILVERBEES", "COFORGE", "LICI"} <= set(by_symbol)
    assert all(t["Series"] == "EQ" for t in table)
    for t in table:
        dt.datetime.strptime(t["DateOfListing"], "%d-%b-%Y")
        if t["InstrumentType"] != "INDEX":
            assert re.fullmatch(r"IN[A-Z0-9]{10}", t["ISINCode"]), t
    bse = list(csv.reader(io.StringIO(zf.read("BSEScripMaster.txt").decode())))
    assert len(bse) == len(rows) and len(bse[1]) >= 5


def test_isin_check_digits() -> None:
    assert isin_check_digit("INE002A0101") == "8"  # RELIANCE INE002A01018
    assert isin_check_digit("US037833100") == "5"  # Apple US0378331005
    with BreezeStandIn({"FOO": "FOOBAR", "BAR": "BARCOD"}) as s:
        zf = zipfile.ZipFile(io.BytesIO(requests.get(s.security_master_url, timeout=10).content))
        rows = list(csv.reader(io.StringIO(zf.read("NSEScripMaster.txt").decode())))
    isins = [r[10] for r in rows[1:]]
    assert [r[1] for r in rows[1:]] == ["FOOBAR", "BARCOD"]
    assert all(isin_check_digit(i[:11]) == i[11] for i in isins)


# -- session -----------------------------------------------------------------------------------
def test_customerdetails_success_and_errors(standin: BreezeStandIn) -> None:
    ok = customer(standin, standin.session_token, standin.api_key)
    assert ok["Status"] == 200 and ok["Error"] is None
    decoded = base64.b64decode(ok["Success"]["session_token"]).decode()
    assert decoded == f"{standin.user_id}:{standin.session_key}"
    assert ok["Success"]["idirect_userid"] == standin.user_id
    bad_key = customer(standin, standin.session_token, "wrong")
    assert bad_key == {"Success": None, "Status": 500, "Error": "Public Key does not exist."}
    assert customer(standin, "wrong", standin.api_key)["Error"] == "Invalid session."
    standin.faults = FaultPlan(session_expired=True)
    assert customer(standin, standin.session_token, standin.api_key)["Error"] == (
        "Resource not available."
    )
    assert v2(standin).json()["Error"] == "Invalid session."


# -- historical v2 -----------------------------------------------------------------------------
def test_v2_regular_day_is_75_bars_on_the_session_grid(standin: BreezeStandIn) -> None:
    r = v2(standin).json()
    assert r["Status"] == 200 and r["Error"] is None
    rows = r["Success"]
    assert len(rows) == 75
    got = pd.DatetimeIndex([row["datetime"] for row in rows]).tz_localize(IST)
    assert got.equals(session_bar_starts("5minute", "2024-01-02", "2024-01-02"))
    ref = synthetic_bars("RELIND", "5minute", got[0], got[-1])
    assert [row["close"] for row in rows] == ref["close"].tolist()
    assert [row["volume"] for row in rows] == ref["volume"].astype(int).tolist()
    assert set(rows[0]) == {
        "datetime",
        "stock_code",
        "exchange_code",
        "open",
        "high",
        "low",
        "close",
        "volume",
    }
    assert rows[0]["stock_code"] == "RELIND" and rows[0]["exchange_code"] == "NSE"
    assert isinstance(rows[0]["open"], float) and isinstance(rows[0]["volume"], int)
    assert standin.historical_requests == [
        HistoricalRequest(
            "RELIND", "5minute", "2024-01-02T09:15:00.000Z", "2024-01-02T15:30:00.000Z"
        )
    ]


def test_v2_reads_z_times_as_ist_wall_clock_with_inclusive_ends(standin: BreezeStandIn) -> None:
    rows = v2(standin, frm="2024-01-02T09:20:00.000Z", to="2024-01-02T09:35:00.000Z").json()
    stamps = [row["datetime"] for row in rows["Success"]]
    assert stamps == [f"2024-01-02 09:{m}:00" for m in (20, 25, 30, 35)]
    daily = v2(
        standin, interval="1day", frm="2024-01-01T00:00:00.000Z", to="2024-01-05T00:00:00.000Z"
    )
    stamps = [row["datetime"] for row in daily.json()["Success"]]
    assert stamps == [f"2024-01-0{d} 00:00:00" for d in range(1, 6)]


def test_v2_caps_at_1000_rows_and_continues_after_the_last(standin: BreezeStandIn) -> None:
    first = v2(standin, frm="2024-01-01T09:15:00.000Z", to="2024-01-31T15:30:00.000Z").json()
    assert len(first["Success"]) == 1000
    last = pd.Timestamp(first["Success"][-1]["datetime"]) + pd.Timedelta(minutes=5)
    rest = v2(standin, frm=last.strftime("%Y-%m-%dT%H:%M:%S.000Z"), to="2024-01-31T15:30:00.000Z")
    stamps = [r["datetime"] for r in first["Success"] + rest.json()["Success"]]
    expected = session_bar_starts("5minute", "2024-01-01", "2024-01-31")
    assert stamps == expected.strftime("%Y-%m-%d %H:%M:%S").tolist()


def test_v2_empty_for_unknown_and_unavailable_codes(standin: BreezeStandIn) -> None:
    for code in ("NOSUCH", "ADAGRE", "IDECEL"):
        assert v2(standin, code).json() == {"Success": [], "Status": 200, "Error": None}
    nifty = v2(standin, "NIFTY").json()["Success"]
    assert len(nifty) == 75 and {r["volume"] for r in nifty} == {0}


def test_v2_rejects_bad_auth_interval_and_dates(standin: BreezeStandIn) -> None:
    assert v2(standin, apikey="wrong").json()["Error"] == "Public Key does not exist."
    # The session token straight from the login (not base64(user:session_key)) is refused.
    assert v2(standin, token=standin.session_token).json()["Error"] == "Invalid session."
    for r in (
        v2(standin, interval="1second"),
        v2(standin, frm="2024-01-02 09:15:00"),
        v2(standin, to="2024-01-02T15:30:00+05:30"),
    ):
        assert r.status_code == 200 and r.json()["Status"] == 500 and r.json()["Success"] is None
    assert standin.historical_requests == []


# -- v1 (signed) -------------------------------------------------------------------------------
V1_BODY = {
    "interval": "5minute",
    "from_date": "2024-01-02T09:15:00.000Z",
    "to_date": "2024-01-02T15:30:00.000Z",
    "stock_code": "RELIND",
    "exchange_code": "NSE",
    "product_type": "cash",
}


def test_v1_accepts_a_correct_checksum_with_string_rows(standin: BreezeStandIn) -> None:
    r = signed(standin, "historicalcharts", V1_BODY).json()
    assert r["Status"] == 200, r
    rows_v2 = v2(standin).json()["Success"]
    assert len(r["Success"]) == len(rows_v2) == 75
    for a, b in zip(r["Success"], rows_v2, strict=True):
        assert a["datetime"] == b["datetime"]
        assert all(isinstance(a[k], str) for k in ("open", "high", "low", "close", "volume"))
        assert float(a["close"]) == b["close"] and int(a["volume"]) == b["volume"]
    day = signed(standin, "historicalcharts", {**V1_BODY, "interval": "day"}).json()
    assert day["Success"][0]["datetime"] == "2024-01-02 00:00:00"
    assert standin.calls["historical_v1"] == 2


def test_v1_rejects_a_wrong_signature(standin: BreezeStandIn) -> None:
    r = signed(standin, "historicalcharts", V1_BODY, secret="not-the-secret").json()
    assert r["Success"] is None and r["Status"] == 500 and "Checksum" in r["Error"]
    unsigned = requests.get(
        standin.api_url + "historicalcharts", data=json.dumps(V1_BODY), timeout=TIMEOUT
    ).json()
    assert unsigned["Success"] is None and "X-Timestamp" in unsigned["Error"]
    assert standin.historical_requests == []


def test_quotes_answer_one_level1_row(standin: BreezeStandIn) -> None:
    r = signed(standin, "quotes", {"stock_code": "RELIND", "exchange_code": "NSE"}).json()
    assert r["Status"] == 200 and len(r["Success"]) == 1
    row = r["Success"][0]
    assert row["stock_code"] == "RELIND"
    assert row["best_bid_price"] < row["ltp"] < row["best_offer_price"]
    bad = signed(standin, "quotes", {"stock_code": "RELIND", "exchange_code": "NSE"}, secret="x")
    assert bad.json()["Success"] is None


# -- faults ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "status", "error"),
    [
        ("invalid_user", 500, "Invalid User Details"),
        ("t2_155", 500, "Error while calling service, Please contact admin (T2:155)"),
        ("minute_limit", 5, "Limit exceed: API call per minute"),
        ("day_limit", 5, "Limit exceed: API call per day"),
        ("session_expired", 500, "Invalid session."),
        ("historical_data_fail", 500, "Historical Data Fail"),
    ],
)
def test_injected_error_envelopes(
    standin: BreezeStandIn, kind: str, status: int, error: str
) -> None:
    standin.inject(kind, count=2)
    for _ in range(2):
        assert v2(standin).json() == {"Success": None, "Status": status, "Error": error}
    assert len(v2(standin).json()["Success"]) == 75  # the next answer is normal again
    assert standin.calls[f"fault:{kind}"] == 2
    assert len(standin.historical_requests) == 1


def test_injected_html_reset_and_slow(standin: BreezeStandIn) -> None:
    standin.inject("http_500_html", count=2)
    pages = [v2(standin), v2(standin)]
    assert sorted(p.status_code for p in pages) == [500, 503]
    assert all(p.headers["Content-Type"].startswith("text/html") for p in pages)
    with pytest.raises(requests.JSONDecodeError):
        pages[0].json()
    standin.inject("reset")
    with pytest.raises(requests.ConnectionError):
        v2(standin)
    standin.faults = FaultPlan(slow_s=0.2)
    standin.inject("slow")
    assert len(v2(standin).json()["Success"]) == 75  # slow, then a normal answer
    standin.faults = FaultPlan(slow_s=30.0)
    standin.inject("slow")
    with pytest.raises(requests.Timeout):  # a client deadline fires; stop() must not hang
        v2(standin, timeout=0.3)
    assert set(INJECTABLE_KINDS) >= {"http_500_html", "reset", "slow"}


def test_limit_plans(standin: BreezeStandIn) -> None:
    standin.faults = FaultPlan(minute_limit_every=3)
    errors = [v2(standin, interval="1day").json()["Error"] for _ in range(6)]
    limit = "Limit exceed: API call per minute"
    assert errors == [None, None, limit, None, None, limit]
    standin.faults = FaultPlan(day_limit_after=2)
    errors = [v2(standin, interval="1day").json()["Error"] for _ in range(4)]
    assert errors == [
        None,
        None,
        "Limit exceed: API call per day",
        "Limit exceed: API call per day",
    ]
    quote = signed(standin, "quotes", {"stock_code": "RELIND", "exchange_code": "NSE"}).json()
    assert quote["Status"] == 5
    standin.faults = FaultPlan(minute_cap=2)  # real clock: a third call within 60 s is refused
    errors = [v2(standin, interval="1day").json()["Error"] for _ in range(3)]
    assert errors == [None, None, limit]


def _outcomes(s: BreezeStandIn, n: int) -> list[str]:
    out = []
    for _ in range(n):
        try:
            r = v2(
                s, interval="1day", frm="2024-01-02T00:00:00.000Z", to="2024-01-02T00:00:00.000Z"
            )
        except requests.ConnectionError:
            out.append("reset")
            continue
        out.append("html" if r.status_code != 200 else str(r.json()["Error"]))
    return out


def test_transient_faults_are_seeded_and_reproducible() -> None:
    kinds = ("http_500_html", "invalid_user", "t2_155", "reset")
    runs = []
    for seed in (1, 1, 2):
        with BreezeStandIn(faults=FaultPlan(transient_rate=0.3, kinds=kinds, seed=seed)) as s:
            runs.append(_outcomes(s, 40))
            assert s.forbidden_calls == []
    assert runs[0] == runs[1] != runs[2]
    assert 0 < sum(o != "None" for o in runs[0]) < 40
    assert {"html", "Invalid User Details", "reset"} <= set(runs[0] + runs[2])
    with BreezeStandIn(faults=FaultPlan(transient_rate=1.0, kinds=("t2_155",))) as s:
        assert set(_outcomes(s, 5)) == {
            "Error while calling service, Please contact admin (T2:155)"
        }


def test_fault_plan_and_inject_validate() -> None:
    with pytest.raises(ValueError, match="transient_rate"):
        FaultPlan(transient_rate=1.5)
    with pytest.raises(ValueError, match="unknown fault kinds"):
        FaultPlan(kinds=("meteor",))
    with pytest.raises(ValueError, match="minute_limit_every"):
        FaultPlan(minute_limit_every=0)
    s = BreezeStandIn()
    with pytest.raises(ValueError, match="unknown fault kind"):
        s.inject("meteor")
    with pytest.raises(RuntimeError, match="not running"):
        _ = s.base_url


# -- refused calls -----------------------------------------------------------------------------
def test_order_and_money_calls_are_refused_and_recorded() -> None:
    with BreezeStandIn() as s:
        order = requests.post(s.api_url + "order", data='{"action":"buy"}', timeout=TIMEOUT)
        funds = requests.get(s.api_url + "funds", data="{}", timeout=TIMEOUT)
        square = requests.put(s.api_url + "squareoff", data="{}", timeout=TIMEOUT)
        gtt = requests.delete(s.api_url + "gttorder", data="{}", timeout=TIMEOUT)
        anywhere = requests.post(s.hist_url + "historicalcharts", timeout=TIMEOUT)
        assert {r.status_code for r in (order, funds, square, gtt, anywhere)} == {403}
        assert order.json()["Success"] is None
        assert s.forbidden_calls == [
            ("POST", "/breezeapi/api/v1/order"),
            ("GET", "/breezeapi/api/v1/funds"),
            ("PUT", "/breezeapi/api/v1/squareoff"),
            ("DELETE", "/breezeapi/api/v1/gttorder"),
            ("POST", "/api/v2/historicalcharts"),
        ]
        missing = requests.get(s.api_url + "optionchain", timeout=TIMEOUT)
        assert missing.status_code == 404 and len(s.forbidden_calls) == 5
        assert s.requests == 6 and s.calls["forbidden"] == 5
        assert s.base_url.startswith("http://127.0.0.1:")
    s.stop()  # idempotent


def test_runs_as_a_process_until_sigterm(tmp_path: Any) -> None:
    cmd = [sys.executable, "-m", "tests.standin.server", "--port", "0"]
    proc = subprocess.Popen(
        [*cmd, "--fault-rate", "0.2", "--seed", "1"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,  # ``tests`` is importable from the repository root
    )
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        assert info["base_url"].startswith("http://127.0.0.1:")
        assert info["hist_url"] == info["base_url"] + "/api/v2/"
        assert requests.get(info["security_master_url"], timeout=TIMEOUT).status_code == 200
        stats = requests.get(info["stats_url"], timeout=TIMEOUT).json()
        assert stats["calls"]["security_master"] == 1 and stats["forbidden_calls"] == []
        proc.terminate()
        out, _ = proc.communicate(timeout=TIMEOUT)
        assert json.loads(out.splitlines()[-1])["stats"]["requests"] == 2
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=TIMEOUT)
