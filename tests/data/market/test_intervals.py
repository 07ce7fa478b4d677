"""Interval spellings map onto the stored names; a typo is a usage error with a suggestion."""

from __future__ import annotations

import pytest

from sensequant.data.market import parse_interval
from sensequant.errors import UsageError
from sensequant.types import INTERVALS


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("1day", "1day"),
        ("1d", "1day"),
        ("1D", "1day"),
        ("daily", "1day"),
        ("30m", "30minute"),
        ("30min", "30minute"),
        ("30minute", "30minute"),
        ("5m", "5minute"),
        ("5min", "5minute"),
        ("5minute", "5minute"),
        ("5 minutes", "5minute"),
        ("5T", "5minute"),
        ("1m", "1minute"),
        ("1min", "1minute"),
        ("1minute", "1minute"),
        (" 1Min ", "1minute"),
    ],
)
def test_spellings(typed: str, name: str) -> None:
    assert parse_interval(typed) == name


def test_every_stored_name_is_itself() -> None:
    assert [parse_interval(i) for i in INTERVALS] == list(INTERVALS)


@pytest.mark.parametrize("typed", ["7min", "2d", "1h", "", "week"])
def test_unknown_interval_is_a_usage_error(typed: str) -> None:
    with pytest.raises(UsageError, match="is not a bar interval") as info:
        parse_interval(typed, option="--bar")
    assert info.value.exit_code == 2
    assert f"--bar {typed!r}" in info.value.message
    assert info.value.hint is not None and "1day, 30minute, 5minute, 1minute" in info.value.hint


def test_typo_gets_the_closest_interval() -> None:
    with pytest.raises(UsageError, match=r"did you mean '1day'\?"):
        parse_interval("1dya")
