"""Tests of sensequant.data.market.symbols."""

from __future__ import annotations

import pytest

from sensequant.data.market import (
    FILE_SAFE_ALIASES,
    symbol_from_filename,
    symbol_from_store_filename,
    symbol_to_filename,
    validate_symbol,
)
from sensequant.errors import InvalidSymbolError


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" reliance ", "RELIANCE"),
        ("M&M", "M&M"),
        ("bajaj-auto", "BAJAJ-AUTO"),
        ("NIFTY 50", "NIFTY 50"),
        ("NIFTY_50", "NIFTY_50"),
        ("A.B", "A.B"),
    ],
)
def test_validate_symbol_accepts_and_canonicalises(raw: str, expected: str) -> None:
    assert validate_symbol(raw) == expected


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("../x", "path separator"),
        ("a/b", "path separator"),
        ("a\\b", "path separator"),
        ("A..B", "'..'"),
        (".hidden", "starts with '.'"),
        ("RELI\nANCE", "control"),
        ("X" * 33, "longer than 32"),
        ("NIFTY  50", "single spaces"),
        ("RELIANCE$", "allowed are"),
        ("INFY\x00", "control"),
    ],
)
def test_validate_symbol_rejects_with_rule(raw: str, rule: str) -> None:
    with pytest.raises(InvalidSymbolError) as info:
        validate_symbol(raw)
    assert rule in str(info.value)
    assert repr(raw) in str(info.value)
    assert info.value.hint


@pytest.mark.parametrize(
    ("stem", "expected"),
    [
        ("RELIANCE", "RELIANCE"),
        ("MM", "M&M"),
        ("mmfin", "M&MFIN"),
        ("nifty50_2000_2019", "NIFTY 50"),
        ("nifty50_2007_2024_yf", "NIFTY 50"),
        ("NIFTY_50", "NIFTY 50"),
        ("M%26M", "M&M"),
        ("NIFTY%2050", "NIFTY 50"),
        ("RELIANCE.NS", "RELIANCE"),
        ("BAJAJ-AUTO", "BAJAJ-AUTO"),
    ],
)
def test_symbol_from_filename(stem: str, expected: str) -> None:
    assert symbol_from_filename(stem) == expected


def test_symbol_from_filename_does_not_mistake_nifty500() -> None:
    assert symbol_from_filename("NIFTY500") == "NIFTY500"


def test_symbol_from_filename_validates() -> None:
    with pytest.raises(InvalidSymbolError):
        symbol_from_filename("..%2Fetc")


def test_aliases_point_to_valid_symbols() -> None:
    for stem, symbol in FILE_SAFE_ALIASES.items():
        assert validate_symbol(symbol) == symbol
        assert symbol_from_filename(stem) == symbol


@pytest.mark.parametrize(
    ("symbol", "name"),
    [
        ("M&M", "M%26M"),
        ("NIFTY 50", "NIFTY%2050"),
        ("BAJAJ-AUTO", "BAJAJ-AUTO"),
        ("A.B", "A%2EB"),
        ("RELIANCE", "RELIANCE"),
    ],
)
def test_store_filename_round_trip(symbol: str, name: str) -> None:
    assert symbol_to_filename(symbol) == name
    assert symbol_from_store_filename(name) == symbol
    assert symbol_from_store_filename(name + ".parquet") == symbol
    assert symbol_from_filename(name) == symbol


@pytest.mark.parametrize("name", ["m%26m.parquet", "M&M.parquet", "%2E%2E%2Fx", "", "M%2"])
def test_symbol_from_store_filename_rejects_foreign_names(name: str) -> None:
    with pytest.raises(InvalidSymbolError):
        symbol_from_store_filename(name)


def test_symbol_to_filename_rejects_traversal() -> None:
    with pytest.raises(InvalidSymbolError):
        symbol_to_filename("../x")
