"""Every total of the reports against the hand-computed fixture (tests/reports/conftest.py)."""

from decimal import Decimal

import pytest

from funding.models import District, LedgerEntry
from funding.services import ledger_totals
from reports.selectors import (
    ReportFilters,
    ledger_committed_total,
    programme_overview,
    programme_trend,
    regions_report,
)
from tests.factories import rule

D = Decimal
pytestmark = pytest.mark.django_db


def _rows(overview):
    return {r.line_id: r for r in overview.rows}


def test_overview_totals_match_hand_computed_figures(figures):
    o = programme_overview(ReportFilters(year=2027))
    t = o.total
    assert o.volume == D("10050000.00")
    assert t.committed == D("90100.00")
    assert t.paid == D("20000.00")
    assert (t.received, t.decided, t.approved, t.partially, t.rejected, t.pending) == (5, 4, 3, 1, 1, 1)
    assert t.approval_rate == D("75.00")
    assert t.median_days == D("25.0")
    assert t.requested == D("50000") * 3 + D("10200") + D("5000")
    assert t.allocation == sum((r.allocation for r in rule("integrationsprojekte").programme_year.rules.all()), D("0"))
    assert t.available == t.allocation - D("90100.00")


def test_overview_per_line(figures):
    rows = _rows(programme_overview(ReportFilters(year=2027)))
    fm, mo = rule("integrationsprojekte"), rule("migrantenorganisationen")
    lotsen, ko = rule("lotsen"), rule("laiendolmetscher")
    r = rows[fm.line_id]
    assert (r.committed, r.paid, r.received, r.approved, r.partially, r.rejected) == (
        D("85000.00"), D("20000.00"), 2, 2, 1, 0)
    assert r.allocation == fm.allocation and r.available == fm.allocation - D("85000.00")
    assert r.utilisation == (D("85000.00") * 100 / fm.allocation).quantize(D("0.01"))
    assert r.median_days == D("15.0") and r.approval_rate == D("100.00")
    r = rows[mo.line_id]
    assert (r.committed, r.received, r.approved, r.median_days) == (D("5100.00"), 1, 1, D("30.0"))
    r = rows[lotsen.line_id]
    assert (r.committed, r.received, r.rejected, r.approval_rate, r.median_days) == (D("0"), 1, 1, D("0.00"), D("45.0"))
    r = rows[ko.line_id]
    assert (r.received, r.pending, r.decided, r.median_days, r.approval_rate) == (1, 1, 0, None, None)


def test_committed_equals_ledger_and_funding_services(figures):
    for year in (2027, 2028):
        o = programme_overview(ReportFilters(year=year))
        assert o.total.committed == ledger_committed_total(ReportFilters(year=year))
        by_rule = ledger_totals(rule_ids=[r.rule_id for r in o.rows])
        for row in o.rows:
            expected = by_rule.get(row.rule_id, {"committed": D("0"), "authority_committed": D("0"), "paid": D("0")})
            # the report's committed is all bound money: against the allocation and, in a year whose budget is not
            # enacted yet (2028), against the commitment authority
            assert (row.committed, row.paid) == (expected["committed"] + expected["authority_committed"],
                                                 expected["paid"])
    assert programme_overview(ReportFilters(year=2028)).total.committed == D("5100.00")
    assert ledger_committed_total(ReportFilters()) == D("95200.00")
    # the release is a ledger row, not an edit
    assert LedgerEntry.objects.filter(kind="release", amount=D("5000.00")).count() == 1


def test_multi_year_split_counts_money_per_budget_year_but_application_once(figures):
    o2028 = programme_overview(ReportFilters(year=2028))
    assert o2028.total.committed == D("5100.00")
    assert o2028.total.received == 0  # the application belongs to 2027
    trend = {r.year: r for r in programme_trend(ReportFilters())}
    assert trend[2027].committed == D("90100.00") and trend[2028].committed == D("5100.00")
    assert trend[2027].received == 5 and trend[2028].received == 0


def test_trend_rows_from_2014_with_volumes(figures):
    rows = programme_trend(ReportFilters())
    years = [r.year for r in rows]
    assert years[0] == 2014 and years == sorted(years) and 2028 in years
    t = {r.year: r for r in rows}
    assert t[2014].volume == D("3100000.00") and t[2017].volume == D("8850000.00")
    r = t[2027]
    assert (r.paid, r.decided, r.approved, r.rejected, r.pending, r.median_days) == (
        D("20000.00"), 4, 3, 1, 1, D("25.0"))
    assert r.approval_rate == D("75.00")
    assert t[2016].committed == D("0") and t[2016].received == 0
    assert sum((x.committed for x in rows), D("0")) == ledger_committed_total(ReportFilters())


def test_regions_by_bezirk_and_district(figures):
    g = regions_report(ReportFilters(year=2027))
    rb = {r.key: r for r in g.bezirke}
    assert (rb["Gießen"].received, rb["Gießen"].approved, rb["Gießen"].committed) == (2, 2, D("55100.00"))
    assert (rb["Darmstadt"].received, rb["Darmstadt"].committed) == (1, D("35000.00"))
    assert (rb["Kassel"].received, rb["Kassel"].rejected, rb["Kassel"].committed) == (2, 1, D("0"))
    assert g.total.committed == D("90100.00") == ledger_committed_total(ReportFilters(year=2027))
    assert g.total.received == 5
    districts = {r.name: r for r in g.districts}
    assert len(districts) == 33
    assert districts["Landkreis Gießen"].committed == D("50000.00")
    assert districts["Frankfurt am Main"].committed == D("35000.00")
    # The MO is not one of the 33: it counts to its seat, the Sonderstatusstadt Marburg.
    assert (districts["Marburg"].received, districts["Marburg"].committed) == (1, D("5100.00"))
    assert (districts["Kassel"].received, districts["Kassel"].rejected) == (1, 1)
    assert (districts["Landkreis Kassel"].received, districts["Landkreis Kassel"].pending) == (1, 1)
    assert sum((d.committed for d in g.districts), D("0")) + g.unassigned.committed == g.total.committed
    assert sum(d.received for d in g.districts) + g.unassigned.received == g.total.received


def test_amount_per_inhabitant_only_where_population_is_known(figures):
    g = regions_report(ReportFilters(year=2027))
    assert not g.has_population
    assert all(d.per_inhabitant is None for d in g.districts)
    District.objects.filter(name="Landkreis Gießen").update(population=270000)
    g = regions_report(ReportFilters(year=2027))
    districts = {r.name: r for r in g.districts}
    assert g.has_population
    assert districts["Landkreis Gießen"].per_inhabitant == D("0.19")  # 50,000 € / 270,000
    assert districts["Frankfurt am Main"].per_inhabitant is None  # unknown: no invented figure
    assert all(r.population is None for r in g.bezirke)  # Gießen's other districts are unknown


def test_filters_by_kind_region_district_and_line(figures):
    by_kind = programme_overview(ReportFilters(year=2027, kind="migrantenorganisation")).total
    assert (by_kind.received, by_kind.committed) == (1, D("5100.00"))
    by_rb = programme_overview(ReportFilters(year=2027, regierungsbezirk="Gießen")).total
    assert (by_rb.received, by_rb.committed, by_rb.paid) == (2, D("55100.00"), D("20000.00"))
    marburg = District.objects.get(name="Marburg")
    by_district = programme_overview(ReportFilters(year=2027, district_id=marburg.pk)).total
    assert (by_district.received, by_district.committed) == (1, D("5100.00"))
    fm = rule("integrationsprojekte")
    by_line = programme_overview(ReportFilters(year=2027, line_id=fm.line_id))
    assert [r.line_id for r in by_line.rows] == [fm.line_id]
    assert (by_line.total.received, by_line.total.committed) == (2, D("85000.00"))
    g = regions_report(ReportFilters(year=2027, regierungsbezirk="Kassel"))
    assert {d.regierungsbezirk for d in g.districts} == {"Kassel"}
    assert g.total.received == 2


def test_median_is_computed_in_sql(figures):
    """PostgreSQL: percentile_cont; SQLite: window functions pick the middle rows. Either way one query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.selectors import medians

    qs = ReportFilters(year=2027).applications()
    with CaptureQueriesContext(connection) as ctx:
        result = medians(qs, "rule__line_id")
    assert len(ctx) == 1
    sql = ctx.captured_queries[0]["sql"].upper()
    if connection.vendor == "postgresql":
        assert "PERCENTILE_CONT(0.5) WITHIN GROUP" in sql
    else:
        assert "ROW_NUMBER() OVER" in sql
    assert sorted(round(v, 1) for v in result.values()) == [15.0, 30.0, 45.0]


def test_median_of_odd_and_even_groups(seeded):
    """Exact medians for 1, 2 and 3 decided applications (a half day counts)."""
    import datetime

    from django.utils import timezone

    from applications.models import Application
    from applications.workflow import Status
    from reports.selectors import medians
    from tests.factories import OrganisationFactory, application

    base = timezone.make_aware(datetime.datetime(2027, 3, 1, 8, 0))
    for i, hours in enumerate([24, 36, 240]):
        app = application(organisation=OrganisationFactory(kind="landkreis"))
        Application.objects.filter(pk=app.pk).update(status=Status.REJECTED, file_number=f"X-{i}", submitted_at=base,
                                                     decided_at=base + datetime.timedelta(hours=hours))
        assert round(medians(Application.objects.all(), None)[None], 3) == [1.0, 1.25, 1.5][i]
