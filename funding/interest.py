"""Interest on refund claims under § 49a HVwVfG, computed per day with Decimal.

§ 49a Abs. 3: the amount to refund bears interest of five percentage points a year above the base rate of § 247
BGB from the day the notice lost its effect until the refund. § 49a Abs. 4: money paid out but not used for its
purpose soon after (the Nebenbestimmungen: within two months) bears the same interest for the time from the payout
until it is used.

The day-count convention, in one place:
- Days are counted as in §§ 187 Abs. 1, 188 Abs. 1 BGB: the start day (the day the notice lost its effect, the
  day of the payout) is not counted, the end day (the day of the refund or of the use) is. A period from
  1 March to 31 March has 30 interest days.
- Each day bears the rate that holds on that day (base rate valid from its date, plus five points; a negative
  base rate lowers the rate: −0.88 % gives 4.12 %) and counts as 1/365 of a year, or 1/366 in a leap year
  (actual/actual per calendar year).
- The breakdown has one row per stretch of days with the same rate within one calendar year; each row's amount is
  rounded half up to cents, and the total is the sum of the rounded rows (what the notice shows adds up).
- No interest on interest (§ 289 BGB). Partial payments are allocated first to the interest accrued up to the
  day of the payment, then to the principal (§ 367 Abs. 1 BGB, applied by analogy).
"""

from __future__ import annotations

import calendar
import datetime
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta

CENT = Decimal("0.01")
POINTS_ABOVE_BASE = Decimal("5")  # § 49a Abs. 3 Satz 1 HVwVfG


class InterestError(ValueError):
    """Interest cannot be computed (e.g. no base rate known for a day). German message."""


@dataclass(frozen=True)
class RateTable:
    """Base rates as (valid_from, rate in percent), sorted by date."""

    entries: tuple[tuple[datetime.date, Decimal], ...]

    @classmethod
    def of(cls, rows: Iterable[tuple[datetime.date, Decimal]]) -> RateTable:
        return cls(tuple(sorted((d, Decimal(r)) for d, r in rows)))

    @classmethod
    def from_database(cls) -> RateTable:
        from funding.models import BaseRate

        return cls.of(BaseRate.objects.values_list("valid_from", "rate"))

    def base_rate_on(self, day: datetime.date) -> Decimal:
        dates = [d for d, _ in self.entries]
        index = bisect_right(dates, day) - 1
        if index < 0:
            raise InterestError(f"Für den {day:%d.%m.%Y} ist kein Basiszinssatz hinterlegt.")
        valid_from, rate = self.entries[index]
        # a half-year not yet entered must not silently continue the old value for ever
        if day >= _next_half_year(valid_from) and index == len(self.entries) - 1:
            raise InterestError(f"Der Basiszinssatz ab {_half_year_start(day):%d.%m.%Y} ist noch nicht hinterlegt "
                                "(Haushalt erfasst ihn unter „Basiszinssätze“).")
        return rate

    def change_days(self) -> list[datetime.date]:
        return [d for d, _ in self.entries]


def _half_year_start(day: datetime.date) -> datetime.date:
    return datetime.date(day.year, 1 if day.month < 7 else 7, 1)


def _next_half_year(day: datetime.date) -> datetime.date:
    start = _half_year_start(day)
    return datetime.date(start.year, 7, 1) if start.month == 1 else datetime.date(start.year + 1, 1, 1)


@dataclass(frozen=True)
class InterestRow:
    first_day: datetime.date  # the first interest day of the row (the day after the start)
    last_day: datetime.date
    days: int
    year_days: int  # 365 or 366
    base_rate: Decimal
    rate: Decimal  # base rate + 5 points
    principal: Decimal
    amount: Decimal  # rounded to cents


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def interest_rows(*, principal: Decimal, start: datetime.date, end: datetime.date, table: RateTable,
                  points: Decimal = POINTS_ABOVE_BASE) -> list[InterestRow]:
    """Interest on `principal` for the days after `start` up to and including `end`, one row per stretch of the
    same rate within a calendar year."""
    principal = Decimal(principal)
    if principal < 0:
        raise InterestError("Der Betrag, der zu verzinsen ist, darf nicht negativ sein.")
    if end <= start or principal == 0:
        return []
    boundaries = sorted({d for d in table.change_days() if start < d <= end}
                        | {datetime.date(y, 1, 1) for y in range(start.year + 1, end.year + 1)})
    rows: list[InterestRow] = []
    first = start + datetime.timedelta(days=1)
    for cut in [*boundaries, end + datetime.timedelta(days=1)]:
        if cut <= first:
            continue
        last = cut - datetime.timedelta(days=1)
        base = table.base_rate_on(first)
        rate = base + points
        days = (last - first).days + 1
        year_days = 366 if calendar.isleap(first.year) else 365
        amount = _money(principal * rate / Decimal(100) * Decimal(days) / Decimal(year_days))
        if rows and rows[-1].rate == rate and rows[-1].last_day.year == first.year:
            prev = rows.pop()  # same rate on both sides of a published "unchanged" value: one row
            days += prev.days
            first = prev.first_day
            amount = _money(principal * rate / Decimal(100) * Decimal(days) / Decimal(year_days))
        rows.append(InterestRow(first, last, days, year_days, base, rate, principal, amount))
        first = cut
    return rows


def interest_total(rows: Sequence[InterestRow]) -> Decimal:
    return sum((r.amount for r in rows), Decimal("0.00"))


def late_use_interest(*, amount: Decimal, paid_on: datetime.date, used_on: datetime.date, table: RateTable,
                      months: int = 2) -> list[InterestRow]:
    """§ 49a Abs. 4: money not used within `months` of the payout bears interest from the payout until its use;
    money used in time bears none."""
    if used_on <= paid_on + relativedelta(months=months):
        return []
    return interest_rows(principal=amount, start=paid_on, end=used_on, table=table)


@dataclass(frozen=True)
class Payment:
    day: datetime.date
    amount: Decimal


@dataclass
class ClaimState:
    principal: Decimal  # still owed
    interest_due: Decimal  # accrued and not yet paid
    rows: list[InterestRow]  # every interest row so far
    allocations: list[tuple[datetime.date, Decimal, Decimal, Decimal]]  # (day, paid, to interest, to principal)

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest_due


def claim_state(*, principal: Decimal, interest_from: datetime.date | None, payments: Iterable[Payment],
                until: datetime.date, table: RateTable) -> ClaimState:
    """The claim on `until`: principal and interest after the payments (each first to interest, then principal).
    interest_from None: no interest (waived)."""
    principal = _money(Decimal(principal))
    state = ClaimState(principal=principal, interest_due=Decimal("0.00"), rows=[], allocations=[])
    since = interest_from
    for payment in sorted(payments, key=lambda p: p.day):
        if payment.amount <= 0:
            raise InterestError("Ein Zahlungseingang muss größer als 0 sein.")
        if since is not None and payment.day > since:
            rows = interest_rows(principal=state.principal, start=since, end=payment.day, table=table)
            state.rows += rows
            state.interest_due += interest_total(rows)
            since = payment.day
        to_interest = min(payment.amount, state.interest_due)
        to_principal = min(payment.amount - to_interest, state.principal)
        state.interest_due -= to_interest
        state.principal -= to_principal
        state.allocations.append((payment.day, payment.amount, to_interest, to_principal))
    if since is not None and until > since and state.principal > 0:
        rows = interest_rows(principal=state.principal, start=since, end=until, table=table)
        state.rows += rows
        state.interest_due += interest_total(rows)
    return state
