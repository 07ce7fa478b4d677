"""Rows of the effective-dated NSE fee schedule, and the effective-date helpers.

:class:`FeeRow` (one charge, segment, side and validity period) and :class:`GstRow` (the GST or
earlier service-tax rate) are the validated rows of ``sensequant/resources/nse_fees.yaml``;
:func:`to_date` reads any date-like value as an IST session date. The schedule itself
(loading, lookups, costs) is :class:`sensequant.evaluation.costs.FeeSchedule`; the rates and
their sources are described in ``docs/nse_costs.md``.

Pure computation: no file access.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from typing import Final, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sensequant.errors import ConfigError
from sensequant.types import IST

Charge = Literal["stt", "exchange_txn", "ipft", "sebi_fee", "stamp_duty", "brokerage", "dp_charge"]
Segment = Literal["delivery", "intraday"]
Side = Literal["buy", "sell"]
CHARGES: Final[tuple[Charge, ...]] = (
    "stt", "exchange_txn", "ipft", "sebi_fee", "stamp_duty", "brokerage", "dp_charge"
)  # fmt: skip

DateLike = dt.date | dt.datetime | pd.Timestamp | np.datetime64 | str


class FeeRow(BaseModel):
    """One effective-dated charge (a row of ``nse_fees.yaml``).

    Attributes
    ----------
    charge, segment, side : str
        What is charged, on which segment, on which side (``both`` = buy and sell).
    rate : float or None
        Fraction of order notional (0.001 == 0.1 %). Exactly one of ``rate``/``amount_inr``.
    amount_inr : float or None
        Fixed rupees (only the DP charge, per scrip per sell day).
    cap_inr : float or None
        Per-order cap in rupees on ``rate * notional`` (brokerage).
    valid_from, valid_to : datetime.date
        Inclusive validity; ``valid_to=None`` means still in force.
    gst_applies : bool
        GST (service tax before 2017-07-01) is charged on this charge.
    source : str
        Where the number comes from; "approximate" marks unverified boundary dates.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    charge: Charge
    segment: Segment
    side: Literal["buy", "sell", "both"]
    rate: float | None = Field(None, ge=0, le=0.01)
    amount_inr: float | None = Field(None, ge=0)
    cap_inr: float | None = Field(None, gt=0)
    valid_from: dt.date
    valid_to: dt.date | None = None
    gst_applies: bool
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> FeeRow:
        if (self.rate is None) == (self.amount_inr is None):
            raise ValueError("give exactly one of rate (fraction) or amount_inr (rupees)")
        if (self.charge == "dp_charge") != (self.amount_inr is not None):
            raise ValueError("amount_inr is for dp_charge only, and dp_charge needs amount_inr")
        if self.cap_inr is not None and self.charge != "brokerage":
            raise ValueError("cap_inr applies to brokerage only")
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError(f"valid_to {self.valid_to} is before valid_from {self.valid_from}")
        return self

    @property
    def sides(self) -> tuple[Side, ...]:
        """The sides this row charges (``both`` expands to buy and sell)."""
        return ("buy", "sell") if self.side == "both" else (self.side,)

    def covers(self, day: dt.date) -> bool:
        """True if ``day`` lies in ``[valid_from, valid_to]``."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class GstRow(BaseModel):
    """GST (or earlier service tax) rate on brokerage and exchange/SEBI/DP charges."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rate: float = Field(ge=0, le=0.5)
    valid_from: dt.date
    valid_to: dt.date | None = None
    source: str = Field(min_length=1)

    def covers(self, day: dt.date) -> bool:
        """True if ``day`` lies in ``[valid_from, valid_to]``."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class _FeeFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1]
    currency: Literal["INR"]
    charges: list[FeeRow] = Field(min_length=1)
    gst: list[GstRow] = Field(min_length=1)


def to_date(value: DateLike) -> dt.date:
    """Session date of ``value``; tz-aware timestamps are read in IST first.

    Parameters
    ----------
    value : date, datetime, pandas.Timestamp, numpy.datetime64 or ISO string

    Returns
    -------
    datetime.date
    """
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert(IST)
    return ts.date()


def _check_contiguous(
    periods: Sequence[tuple[dt.date, dt.date | None]], what: str, origin: str
) -> None:
    ordered = sorted(periods, key=lambda p: p[0])
    for (start_a, end_a), (start_b, _) in itertools.pairwise(ordered):
        if end_a is None or start_b <= end_a:
            raise ConfigError(
                f"{origin}: overlapping rows for {what}: {start_a}..{end_a or 'open'} "
                f"overlaps a row starting {start_b}",
                hint="close the earlier row (valid_to) the day before the later one starts",
            )
        if start_b != end_a + dt.timedelta(days=1):
            raise ConfigError(
                f"{origin}: gap in {what} between {end_a} and {start_b}",
                hint="rows of one charge/segment/side must follow each other day by day",
            )
    if ordered[-1][1] is not None:
        raise ConfigError(
            f"{origin}: {what} ends on {ordered[-1][1]}; dates after it have no rate",
            hint="give the latest row valid_to: null",
        )
