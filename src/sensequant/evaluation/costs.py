"""Effective-dated NSE cash-equity transaction costs.

The schedule lives in ``sensequant/resources/nse_fees.yaml`` (package data): one row per
charge, segment, side and validity period, with its source. :class:`FeeSchedule` loads and
validates it and answers three questions:

* :meth:`FeeSchedule.order_costs` -- rupees per charge for one order (exact, brokerage cap and
  DP charge included);
* :meth:`FeeSchedule.proportional_rates_bps` / :meth:`FeeSchedule.daily_rates` -- the charges
  proportional to notional, GST included, in basis points per side (what a vectorised
  backtest multiplies traded notional by);
* :meth:`FeeSchedule.fixed_sell_charge_inr` -- the fixed rupee charge per scrip per sell day
  (the depository-participant charge on delivery sells, GST included).

Rates in force from 2024-10-01 (``docs/nse_costs.md``): STT 0.1 % per side
on delivery, 0.025 % on intraday sells; NSE transaction charge 0.00297 % and IPFT 0.0001 % per
side; SEBI fee 0.0001 % per side; stamp duty 0.015 % (delivery) / 0.003 % (intraday) on buys;
brokerage 0 (delivery) / min(0.03 %, Rs 20) per order (intraday); DP charge Rs 13 per scrip
per delivery sell day; GST 18 % on brokerage + transaction charge + SEBI fee (+ DP charge).
A Rs 1,00,000 round trip then costs about 23.8 bp (delivery) and 8.3 bp (intraday).

Loading the packaged YAML is this module's only file access.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sensequant.errors import ConfigError
from sensequant.types import IST

Charge = Literal["stt", "exchange_txn", "ipft", "sebi_fee", "stamp_duty", "brokerage", "dp_charge"]
Segment = Literal["delivery", "intraday"]
Side = Literal["buy", "sell"]
CHARGES: Final[tuple[Charge, ...]] = (
    "stt", "exchange_txn", "ipft", "sebi_fee", "stamp_duty", "brokerage", "dp_charge"
)  # fmt: skip
_PACKAGED: Final = "resources/nse_fees.yaml"
_HINT: Final = "fix the fee schedule YAML (see sensequant/resources/nse_fees.yaml for the layout)"

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


@dataclass(frozen=True)
class CostBreakdown:
    """Rupee costs of one order, per charge (unrounded; brokers round to the paisa).

    Attributes
    ----------
    notional_inr : float
        Order value in rupees.
    side, segment : str
    date : datetime.date
        Trade date whose schedule was used.
    stt, exchange_txn, ipft, sebi_fee, stamp_duty, brokerage, dp_charge, gst : float
        Rupees per charge; ``gst`` is GST on the charges with ``gst_applies``.
    """

    notional_inr: float
    side: Side
    segment: Segment
    date: dt.date
    stt: float
    exchange_txn: float
    ipft: float
    sebi_fee: float
    stamp_duty: float
    brokerage: float
    dp_charge: float
    gst: float

    @property
    def total(self) -> float:
        """All charges in rupees, GST included."""
        return (
            self.stt + self.exchange_txn + self.ipft + self.sebi_fee + self.stamp_duty
            + self.brokerage + self.dp_charge + self.gst
        )  # fmt: skip

    @property
    def bps(self) -> float:
        """:attr:`total` in basis points of the order notional."""
        return self.total / self.notional_inr * 1e4 if self.notional_inr else float("nan")

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-friendly) with ``total`` and ``bps`` added."""
        out = asdict(self)
        out["date"] = self.date.isoformat()
        out["total"] = self.total
        out["bps"] = self.bps
        return out


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


class FeeSchedule:
    """Validated, effective-dated NSE cash-equity fee schedule.

    Parameters
    ----------
    charges : sequence of FeeRow
    gst : sequence of GstRow
    origin : str
        Where the rows came from (used in error messages).

    Raises
    ------
    ConfigError
        Overlapping rows for one (charge, segment, side) ("both" counts as buy and sell),
        gaps between rows, or a history that does not reach an open end.
    """

    def __init__(
        self, charges: Sequence[FeeRow], gst: Sequence[GstRow], *, origin: str = "<memory>"
    ) -> None:
        self.origin = origin
        self.charges: tuple[FeeRow, ...] = tuple(charges)
        self.gst: tuple[GstRow, ...] = tuple(sorted(gst, key=lambda g: g.valid_from))
        self._index: dict[tuple[str, str, str], list[FeeRow]] = {}
        for row in self.charges:
            for side in row.sides:
                self._index.setdefault((row.charge, row.segment, side), []).append(row)
        for key, rows in self._index.items():
            rows.sort(key=lambda r: r.valid_from)
            _check_contiguous([(r.valid_from, r.valid_to) for r in rows], "/".join(key), origin)
        _check_contiguous([(g.valid_from, g.valid_to) for g in self.gst], "gst", origin)

    @classmethod
    def load(cls, path: Path | None = None) -> FeeSchedule:
        """Load and validate a fee schedule YAML.

        Parameters
        ----------
        path : pathlib.Path, optional
            A YAML file laid out like the packaged one; None = the packaged
            ``sensequant/resources/nse_fees.yaml``.

        Returns
        -------
        FeeSchedule

        Raises
        ------
        ConfigError
            Missing file, invalid YAML, invalid rows (message names the row number and field),
            overlaps or gaps.
        """
        if path is None:
            origin = f"sensequant/{_PACKAGED}"
            text = importlib.resources.files("sensequant").joinpath(_PACKAGED).read_text("utf-8")
        else:
            origin = str(path)
            if not path.is_file():
                raise ConfigError(f"fee schedule {path} does not exist", hint=_HINT)
            text = path.read_text(encoding="utf-8")
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{origin}: not valid YAML ({exc})", hint=_HINT) from None
        if not isinstance(raw, Mapping):
            raise ConfigError(f"{origin}: expected a mapping at the top level", hint=_HINT)
        return cls.from_mapping(raw, origin=origin)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], *, origin: str = "<memory>") -> FeeSchedule:
        """Build a schedule from the parsed YAML mapping (see :meth:`load`)."""
        try:
            parsed = _FeeFile.model_validate(dict(raw))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}"
                for err in exc.errors()
            )
            raise ConfigError(f"{origin}: invalid fee schedule: {problems}", hint=_HINT) from None
        return cls(parsed.charges, parsed.gst, origin=origin)

    # ------------------------------------------------------------------ lookups
    def _row(self, charge: str, segment: str, side: str, day: dt.date) -> FeeRow | None:
        rows = self._index.get((charge, segment, side))
        if rows is None:
            return None  # never charged on this segment/side
        for row in rows:
            if row.covers(day):
                return row
        raise ConfigError(
            f"{self.origin}: no {charge}/{segment}/{side} rate on {day}; "
            f"the schedule starts {rows[0].valid_from}",
            hint="extend the fee schedule further back or start the backtest later",
        )

    def gst_rate(self, date: DateLike) -> float:
        """GST (service tax before 2017-07-01) rate in force on ``date`` (fraction)."""
        day = to_date(date)
        for row in self.gst:
            if row.covers(day):
                return row.rate
        raise ConfigError(
            f"{self.origin}: no GST rate on {day}; the schedule starts {self.gst[0].valid_from}",
            hint="extend the fee schedule further back or start the backtest later",
        )

    def order_costs(
        self, notional_inr: float, side: Side, date: DateLike, segment: Segment = "delivery"
    ) -> CostBreakdown:
        """Rupee costs of one order.

        Parameters
        ----------
        notional_inr : float
            Order value in rupees (price x quantity), >= 0.
        side : {"buy", "sell"}
        date : date-like
            Trade date (tz-aware timestamps are read in IST).
        segment : {"delivery", "intraday"}

        Returns
        -------
        CostBreakdown
            Brokerage is ``min(rate * notional, cap_inr)``; GST is charged on the rows with
            ``gst_applies``. A delivery sell includes the DP charge in full: the order is taken
            as the only sell of that scrip that day (the charge is per scrip per day).

        Raises
        ------
        ValueError
            Negative notional or unknown side.
        ConfigError
            The schedule does not cover ``date``.
        """
        if not notional_inr >= 0:
            raise ValueError(f"notional_inr must be >= 0, got {notional_inr}")
        if side not in ("buy", "sell"):
            raise ValueError(f"side must be 'buy' or 'sell', got {side!r}")
        day = to_date(date)
        amounts = dict.fromkeys(CHARGES, 0.0)
        taxable = 0.0
        for charge in CHARGES:
            row = self._row(charge, segment, side, day)
            if row is None:
                continue
            if row.amount_inr is not None:
                value = row.amount_inr if notional_inr > 0 else 0.0
            else:
                value = float(row.rate or 0.0) * notional_inr
                if row.cap_inr is not None:
                    value = min(value, row.cap_inr)
            amounts[charge] = value
            if row.gst_applies:
                taxable += value
        return CostBreakdown(
            notional_inr=float(notional_inr), side=side, segment=segment, date=day,
            gst=taxable * self.gst_rate(day), **amounts,
        )  # fmt: skip

    def proportional_rates_bps(
        self, date: DateLike, segment: Segment = "delivery", *,
        order_notional_inr: float | None = None,
    ) -> tuple[float, float]:  # fmt: skip
        """Buy and sell costs proportional to notional, GST included, in basis points.

        Parameters
        ----------
        date : date-like
        segment : {"delivery", "intraday"}
        order_notional_inr : float, optional
            Order size used to apply the brokerage cap. None = brokerage at its uncapped rate,
            an upper bound (exact on delivery, where discount brokerage is 0).

        Returns
        -------
        (buy_bps, sell_bps) : tuple of float
            Excludes fixed rupee charges (see :meth:`fixed_sell_charge_inr`).
        """
        day = to_date(date)
        gst = self.gst_rate(day)
        out: list[float] = []
        for side in ("buy", "sell"):
            total = 0.0
            for charge in CHARGES:
                row = self._row(charge, segment, side, day)
                if row is None or row.rate is None:
                    continue
                rate = row.rate
                if row.cap_inr is not None and order_notional_inr:
                    rate = min(rate * order_notional_inr, row.cap_inr) / order_notional_inr
                total += rate * (1.0 + gst if row.gst_applies else 1.0)
            out.append(total * 1e4)
        return out[0], out[1]

    def fixed_sell_charge_inr(self, date: DateLike, segment: Segment = "delivery") -> float:
        """Fixed rupees per scrip per sell day (the DP charge), GST included; 0 if none."""
        day = to_date(date)
        row = self._row("dp_charge", segment, "sell", day)
        if row is None or row.amount_inr is None:
            return 0.0
        return row.amount_inr * (1.0 + self.gst_rate(day) if row.gst_applies else 1.0)

    def daily_rates(self, dates: Iterable[DateLike], segment: Segment = "delivery") -> pd.DataFrame:
        """Vectorised :meth:`proportional_rates_bps` and :meth:`fixed_sell_charge_inr`.

        Parameters
        ----------
        dates : iterable of date-like, length n
        segment : {"delivery", "intraday"}

        Returns
        -------
        pandas.DataFrame
            n rows in input order: ``buy_bps``, ``sell_bps`` (uncapped brokerage, GST
            included), ``dp_sell_inr`` (rupees per scrip per sell day, GST included).

        Raises
        ------
        ConfigError
            A date before the schedule's history.
        """
        if isinstance(dates, pd.DatetimeIndex):  # fast path for a backtest calendar
            stamps = dates.tz_convert(IST).tz_localize(None) if dates.tz is not None else dates
            d = stamps.to_numpy().astype("datetime64[D]")
        else:
            d = np.array([to_date(x) for x in dates], dtype="datetime64[D]")
        frame = pd.DataFrame(
            {"buy_bps": 0.0, "sell_bps": 0.0, "dp_sell_inr": 0.0}, index=range(len(d))
        )
        if not len(d):
            return frame
        first = to_date(d.min())
        self.gst_rate(first)
        for charge, seg, side in self._index:
            if seg == segment:
                self._row(charge, seg, side, first)  # raises if before the history

        def mask(lo: dt.date, hi: dt.date | None) -> np.ndarray:
            m = d >= np.datetime64(lo, "D")
            return m & (d <= np.datetime64(hi, "D")) if hi is not None else m

        gst = np.zeros(len(d))
        for g in self.gst:
            gst[mask(g.valid_from, g.valid_to)] = g.rate
        for row in self.charges:
            if row.segment != segment:
                continue
            m = mask(row.valid_from, row.valid_to)
            factor = np.where(m, 1.0 + gst if row.gst_applies else 1.0, 0.0)
            if row.amount_inr is not None:
                if "sell" in row.sides:
                    frame["dp_sell_inr"] += row.amount_inr * factor
                continue
            for side in row.sides:
                frame[f"{side}_bps"] += float(row.rate or 0.0) * 1e4 * factor
        return frame
