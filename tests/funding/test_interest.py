"""§ 49a interest: the base-rate table against the Bundesbank's publications, and hand-computed examples.

Every expected figure below was computed by hand from the convention in funding/interest.py (start day not
counted, end day counted; 365 or 366 days a year; rows rounded half up to cents), not copied from the output.
"""

import datetime as dt
from decimal import Decimal as D

import pytest

from funding.base_rates import PUBLISHED
from funding.interest import (
    InterestError,
    Payment,
    RateTable,
    claim_state,
    interest_rows,
    interest_total,
    late_use_interest,
)

TABLE = RateTable.of((dt.date.fromisoformat(d), D(r)) for d, r in PUBLISHED)


@pytest.mark.parametrize(("day", "published"), [
    # Deutsche Bundesbank, Bekanntmachungen im Bundesanzeiger (and the press releases quoting them)
    (dt.date(2002, 7, 1), D("2.47")),
    (dt.date(2007, 7, 1), D("3.19")),  # press release of 26 June 2007
    (dt.date(2009, 1, 1), D("1.62")),
    (dt.date(2011, 7, 1), D("0.37")),
    (dt.date(2013, 1, 1), D("-0.13")),
    (dt.date(2016, 7, 1), D("-0.88")),  # unchanged until 31 December 2022
    (dt.date(2022, 12, 31), D("-0.88")),
    (dt.date(2023, 1, 1), D("1.62")),  # BAnz AT 28.12.2022
    (dt.date(2026, 1, 1), D("1.27")),  # unchanged since 1 July 2025 (announced 24 December 2025)
])
def test_base_rate_table_matches_the_publications(day, published):
    assert TABLE.base_rate_on(day) == published


def test_table_has_every_half_year_since_2002():
    days = [dt.date.fromisoformat(d) for d, _ in PUBLISHED]
    expected, year, month = [], 2002, 1
    while (year, month) <= (2026, 1):
        expected.append(dt.date(year, month, 1))
        year, month = (year, 7) if month == 1 else (year + 1, 1)
    assert days == expected


def test_a_half_year_not_yet_entered_is_refused_not_guessed():
    with pytest.raises(InterestError, match="01.07.2026 ist noch nicht hinterlegt"):
        TABLE.base_rate_on(dt.date(2026, 8, 1))
    with pytest.raises(InterestError, match="kein Basiszinssatz"):
        TABLE.base_rate_on(dt.date(2001, 12, 31))


def test_crossing_the_change_from_negative_to_positive():
    # 2 Dec – 31 Dec 2022: 30 days at -0.88 + 5 = 4.12 %: 10,000 × 4.12 % × 30/365 = 33.863 → 33.86
    # 1 Jan – 1 Feb 2023: 32 days at 1.62 + 5 = 6.62 %: 10,000 × 6.62 % × 32/365 = 58.038 → 58.04
    rows = interest_rows(principal=D("10000.00"), start=dt.date(2022, 12, 1), end=dt.date(2023, 2, 1), table=TABLE)
    assert [(r.days, r.rate, r.amount) for r in rows] == [(30, D("4.12"), D("33.86")), (32, D("6.62"), D("58.04"))]
    assert interest_total(rows) == D("91.90")


def test_two_changes_and_a_leap_year():
    # 16–30 Jun 2023: 15 days at 6.62 %: 20,000 × 0.0662 × 15/365 = 54.411 → 54.41
    # 1 Jul – 31 Dec 2023: 184 days at 8.12 %: 20,000 × 0.0812 × 184/365 = 818.674 → 818.67
    # 1–15 Jan 2024: 15 days at 8.62 %, leap year: 20,000 × 0.0862 × 15/366 = 70.656 → 70.66
    rows = interest_rows(principal=D("20000.00"), start=dt.date(2023, 6, 15), end=dt.date(2024, 1, 15), table=TABLE)
    assert [(r.days, r.year_days, r.amount) for r in rows] == [(15, 365, D("54.41")), (184, 365, D("818.67")),
                                                               (15, 366, D("70.66"))]
    assert interest_total(rows) == D("943.74")


def test_a_whole_leap_year():
    # 2 Jan – 30 Jun 2024: 30 + 29 + 31 + 30 + 31 + 30 = 181 days at 8.62 %: 862 × 181/366 = 426.290 → 426.29
    # 1 Jul – 31 Dec 2024: 184 days at 8.37 %: 10,000 × 0.0837 × 184/366 = 420.787 → 420.79
    rows = interest_rows(principal=D("10000.00"), start=dt.date(2024, 1, 1), end=dt.date(2024, 12, 31), table=TABLE)
    assert [(r.days, r.amount) for r in rows] == [(181, D("426.29")), (184, D("420.79"))]
    assert sum(r.days for r in rows) == 365  # 366 days, the start day not counted


def test_negative_base_rate_period_and_unchanged_half_years_in_one_row():
    # 2 Mar – 30 Jun 2015: 121 days at -0.83 + 5 = 4.17 %: 5,000 × 0.0417 × 121/365 = 69.119 → 69.12
    rows = interest_rows(principal=D("5000.00"), start=dt.date(2015, 3, 1), end=dt.date(2015, 6, 30), table=TABLE)
    assert [(r.days, r.base_rate, r.rate, r.amount) for r in rows] == [(121, D("-0.83"), D("4.17"), D("69.12"))]
    # 1 Jan – 31 Dec 2019 at -0.88 (published twice, unchanged): one row of 364 days (1 Jan not counted)
    rows = interest_rows(principal=D("1000.00"), start=dt.date(2019, 1, 1), end=dt.date(2019, 12, 31), table=TABLE)
    assert [(r.days, r.rate) for r in rows] == [(364, D("4.12"))]


def test_partial_repayments_go_to_interest_first():
    # principal 10,000 from 1 Jan 2024; 1 Mar: 5,000 paid
    #   interest 2 Jan – 1 Mar: 60 days at 8.62 %, /366: 10,000 × 0.0862 × 60/366 = 141.311 → 141.31
    #   the 5,000: 141.31 to interest, 4,858.69 to principal → 5,141.31 left
    # until 1 May: 2 Mar – 1 May = 61 days: 5,141.31 × 0.0862 × 61/366 = 73.864 → 73.86
    state = claim_state(principal=D("10000.00"), interest_from=dt.date(2024, 1, 1),
                        payments=[Payment(dt.date(2024, 3, 1), D("5000.00"))], until=dt.date(2024, 5, 1),
                        table=TABLE)
    assert state.allocations == [(dt.date(2024, 3, 1), D("5000.00"), D("141.31"), D("4858.69"))]
    assert (state.principal, state.interest_due, state.total) == (D("5141.31"), D("73.86"), D("5215.17"))
    # the second instalment settles it on 1 May: nothing left, no interest after
    settled = claim_state(principal=D("10000.00"), interest_from=dt.date(2024, 1, 1),
                          payments=[Payment(dt.date(2024, 3, 1), D("5000.00")), Payment(dt.date(2024, 5, 1),
                                                                                        D("5215.17"))],
                          until=dt.date(2024, 9, 1), table=TABLE)
    assert settled.total == D("0.00")


def test_waived_interest_and_bad_payments():
    state = claim_state(principal=D("800.00"), interest_from=None, payments=[], until=dt.date(2025, 1, 1),
                        table=TABLE)
    assert (state.principal, state.interest_due) == (D("800.00"), D("0.00"))
    with pytest.raises(InterestError, match="größer als 0"):
        claim_state(principal=D("800.00"), interest_from=dt.date(2024, 1, 1),
                    payments=[Payment(dt.date(2024, 2, 1), D("-5.00"))], until=dt.date(2024, 3, 1), table=TABLE)


def test_late_use_interest_of_49a_paragraph_4():
    # 20,000 paid 1 Feb 2025, used 15 Jun 2025 (more than two months): 2 Feb – 15 Jun = 134 days at 2.27 + 5 = 7.27 %
    # 20,000 × 0.0727 = 1,454; × 134/365 = 194,836/365 = 533.797 → 533.80
    rows = late_use_interest(amount=D("20000.00"), paid_on=dt.date(2025, 2, 1), used_on=dt.date(2025, 6, 15),
                             table=TABLE)
    assert [(r.days, r.rate, r.amount) for r in rows] == [(134, D("7.27"), D("533.80"))]
    # used within two months: no interest
    assert late_use_interest(amount=D("20000.00"), paid_on=dt.date(2025, 2, 1), used_on=dt.date(2025, 4, 1),
                             table=TABLE) == []


@pytest.mark.django_db
def test_the_database_table_is_seeded_and_haushalt_may_add_only(seeded):
    from django.contrib.auth.models import Group

    from funding.models import BaseRate

    assert BaseRate.objects.count() == len(PUBLISHED)
    assert RateTable.from_database().base_rate_on(dt.date(2024, 3, 1)) == D("3.62")
    perms = set(Group.objects.get(name="Haushalt").permissions.values_list("codename", flat=True))
    assert {"add_baserate", "view_baserate"} <= perms and "delete_baserate" not in perms
