"""Due dates as the Nebenbestimmungen word them: to the end of the month, interim proofs for completed budget years,
terms configurable per line and year — hand-computed dates, month ends and leap years."""

import datetime

import pytest

from applications import decision_rules as dr
from applications.models import Notice, NoticeKind, ProofKind, ProofTerms
from applications.notices.documents import notice_context_build
from applications.notices.outbox import notice_html
from applications.proof import services
from tests.factories import multi_year_application

pytestmark = pytest.mark.django_db
d = datetime.date


@pytest.mark.parametrize("day, months, expected", [
    (d(2027, 12, 31), 4, d(2028, 4, 30)),   # interim proof 2027: end of April (30 days)
    (d(2027, 12, 31), 6, d(2028, 6, 30)),   # final proof of a calendar-year grant
    (d(2027, 8, 31), 6, d(2028, 2, 29)),    # ends in February of a leap year: the 29th
    (d(2026, 8, 31), 6, d(2027, 2, 28)),    # ... and of a common year: the 28th
    (d(2027, 3, 15), 6, d(2027, 9, 30)),    # mid-month end of period: still the month's end
    (d(2028, 10, 1), 4, d(2029, 2, 28)),    # across the year, February of a common year
    (d(2099, 8, 1), 6, d(2100, 2, 28)),     # 2100 is no leap year (divisible by 100, not by 400)
    (d(2399, 8, 1), 6, d(2400, 2, 29)),     # 2400 is (divisible by 400)
])
def test_month_end_after(day, months, expected):
    assert dr.month_end_after(day, months) == expected


def test_the_existing_deadline_agrees():
    for end in (d(2027, 3, 15), d(2027, 8, 31), d(2027, 12, 31)):
        assert dr.proof_of_use_deadline(end) == dr.month_end_after(end, 6)


def test_multi_year_grant_owes_an_interim_proof_per_completed_year():
    dues = dr.proof_due_dates(period_start=d(2026, 1, 1), period_end=d(2028, 8, 31), terms=dr.ProofTermsValues())
    # 2026 and 2027 end before the period: interim proofs by 30.04. of the next year; final 6 months after 31.08.2028
    assert [(x.kind, x.year_from, x.year_to, x.due_on) for x in dues] == [
        ("interim", 2026, 2026, d(2027, 4, 30)),
        ("interim", 2027, 2027, d(2028, 4, 30)),
        ("final", 2026, 2028, d(2029, 2, 28)),
    ]


def test_one_year_grant_owes_the_final_proof_only():
    dues = dr.proof_due_dates(period_start=d(2027, 3, 1), period_end=d(2027, 11, 30), terms=dr.ProofTermsValues())
    assert [(x.kind, x.due_on) for x in dues] == [("final", d(2028, 5, 31))]


def test_terms_per_line_and_year_most_specific_wins(seeded):
    from funding.models import FundingLine

    line = FundingLine.objects.get(code="vielfaltszentren")
    ProofTerms.objects.create(interim_months=5, final_months=7)
    ProofTerms.objects.create(line=line, interim_months=3)
    ProofTerms.objects.create(line=line, year=2027, interim_months=2, final_months=9)
    assert dr.proof_terms_for(line_id=line.pk, year=2027).interim_months == 2
    assert dr.proof_terms_for(line_id=line.pk, year=2027).final_months == 9
    assert dr.proof_terms_for(line_id=line.pk, year=2026).interim_months == 3
    assert dr.proof_terms_for(line_id=line.pk + 1000, year=2026).final_months == 7


def test_notice_names_the_dates_and_the_proofs_follow_it(org):
    app = multi_year_application(organisation=org, code="vielfaltszentren", year=2026,
                                 grants={2026: "50000.00", 2027: "50000.00", 2028: "50000.00"},
                                 end=d(2028, 6, 30), status="approved", file_number="WIR-2026-VZ-0001")
    context = notice_context_build(application=app, kind=NoticeKind.APPROVAL, amount=app.requested_amount)
    # final: 30.06.2028 + 6 months -> 31.12.2028; interim 2026 -> 30.04.2027, 2027 -> 30.04.2028
    assert context["proof_deadline"] == "2028-12-31"
    assert context["proof_interim"] == [{"year": 2026, "due_on": "2027-04-30"}, {"year": 2027, "due_on": "2028-04-30"}]
    Notice.objects.create(application=app, kind=NoticeKind.APPROVAL, context=context)
    proofs = services.proofs_ensure(application=app)
    assert [(p.kind, p.year_from, p.year_to, p.due_on) for p in proofs] == [
        (ProofKind.INTERIM, 2026, 2026, d(2027, 4, 30)), (ProofKind.INTERIM, 2027, 2027, d(2028, 4, 30)),
        (ProofKind.FINAL, 2026, 2028, d(2028, 12, 31))]
    assert len(services.proofs_ensure(application=app)) == 3  # idempotent
    # the wording in the notice (the legal text block, with the interim dates)
    context["court"] = {"name": "VG Darmstadt", "address": "Julius-Reiber-Str. 37, 64293 Darmstadt"}
    from applications.notices.documents import legal_versions_for

    html = notice_html(context=context, legal_versions=legal_versions_for(NoticeKind.APPROVAL), number="1").html
    assert "mit Ablauf des sechsten auf den Bewilligungszeitraum folgenden Monats" in html
    assert "31.12.2028" in html
    assert "binnen vier Monaten nach Ablauf des Haushaltsjahres" in html
    assert "für 2026 bis zum 30.04.2027; für 2027 bis zum 30.04.2028" in html


def test_configured_months_reach_the_notice_text(org):
    from funding.models import FundingLine

    ProofTerms.objects.create(line=FundingLine.objects.get(code="vielfaltszentren"), year=2026, interim_months=3,
                              final_months=4)
    app = multi_year_application(organisation=org, code="vielfaltszentren", year=2026,
                                 grants={2026: "50000.00", 2027: "50000.00"}, status="approved")
    context = notice_context_build(application=app, kind=NoticeKind.APPROVAL, amount=app.requested_amount)
    assert context["proof_deadline"] == "2028-04-30"  # 31.12.2027 + 4 months
    assert context["proof_interim"] == [{"year": 2026, "due_on": "2027-03-31"}]
    context["court"] = {"name": "VG", "address": "x"}
    from applications.notices.documents import legal_versions_for

    html = notice_html(context=context, legal_versions=legal_versions_for(NoticeKind.APPROVAL), number="1").html
    assert "innerhalb von vier Monaten" in html and "mit Ablauf des vierten" in html
    assert "binnen drei Monaten" in html
