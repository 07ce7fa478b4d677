"""Tests of the derived corporate actions and reviews of the catalog (schema 3)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from sensequant.data.catalog import SCHEMA_V1, Catalog
from sensequant.data.catalog.schema import MIGRATIONS

ROW = {"ex_date": "2024-02-01", "kind": "split", "price_factor": 0.5, "detail": "d"}


def test_version_2_reviews_are_carried_over(tmp_path: Path) -> None:
    path = tmp_path / "v2.sqlite"
    with sqlite3.connect(path) as con:
        con.executescript(SCHEMA_V1 + MIGRATIONS[2])
        con.execute("INSERT INTO schema_version VALUES (1, 'x'), (2, 'x')")
        con.execute(
            "INSERT INTO corporate_actions VALUES "
            "('ABC', '2024-02-01', 'split', 0.5, 'detected', 'rejected', NULL, 'x'), "
            "('ABC', '2024-05-02', 'split', 0.5, 'detected', 'suspected', NULL, 'x')"
        )
        con.execute("INSERT INTO imports (started_at, source, status) VALUES ('x', 'a.csv', 'ok')")
    catalog = Catalog(path)
    (review,) = catalog.action_reviews().to_dict("records")
    assert (review["ex_date"], review["status"]) == ("2024-02-01", "rejected")
    assert review["reviewer"].startswith("unknown")
    assert catalog.imports()["store_sha256"].isna().all()  # old rows: read again once
    catalog.replace_detected_actions("ABC", "1day", "fp", [ROW])  # re-detection
    actions = catalog.corporate_actions("ABC")
    assert list(zip(actions["ex_date"], actions["status"], strict=True)) == [
        ("2024-02-01", "rejected")  # the stale 2024-05-02 suspicion is gone, the review kept
    ]


def test_manual_rows_survive_rebuilds_and_union_over_intervals(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path / "c.sqlite")
    catalog.upsert_corporate_actions(
        [{"symbol": "ABC", "ex_date": "2020-01-01", "kind": "bonus", "price_factor": 2 / 3,
          "source": "manual", "status": "confirmed"}]
    )  # fmt: skip
    catalog.replace_detected_actions("ABC", "1day", "fp1", [ROW])
    catalog.replace_detected_actions(
        "ABC", "5minute", "fp2", [{**ROW, "ex_date": dt.date(2024, 6, 3)}]
    )
    assert list(catalog.corporate_actions("ABC")["ex_date"]) == [
        "2020-01-01",
        "2024-02-01",
        "2024-06-03",
    ]
    catalog.drop_detected_actions("ABC", "5minute")
    frame = catalog.corporate_actions("ABC")
    assert list(zip(frame["ex_date"], frame["source"], strict=True)) == [
        ("2020-01-01", "manual"),
        ("2024-02-01", "detected"),
    ]
    state = catalog.action_detections("ABC")
    assert list(zip(state["interval"], state["fingerprint"], strict=True)) == [("1day", "fp1")]
