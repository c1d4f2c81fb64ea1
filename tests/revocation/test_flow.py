"""The proceeding from opening to the claim paid, with hand-computed figures.

Case (conftest.funded): 30,000 € approved for 2025 (notice of 15 Jan 2025), 20,000 € paid on 3 Mar 2025.
Revoked: 12,000 € with effect from 1 Jul 2025.
    remaining grant  = 30,000 − 12,000        = 18,000
    refund           = 20,000 paid − 18,000   =  2,000   (§ 49a Abs. 1: only paid money beyond what remains)
    released at once = 12,000 − 2,000         = 10,000   (never paid: no longer payable)
Interest (§ 49a Abs. 3) from 1 Jul 2025 (after the last payout), base rate 1.27 % → 6.27 % p. a.:
    2 Jul – 31 Dec 2025: 30+31+30+31+30+31 = 183 days: 2,000 × 0.0627 × 183/365 = 125.4 × 183 / 365 = 62.8718 → 62.87
    1 Jan –  2 Feb 2026: 33 days:                     125.4 × 33 / 365 = 11.3375 → 11.34    (total 74.21)
"""

import datetime
from decimal import Decimal as D

import pytest

from applications.models import (
    ClaimStatus,
    NoticeKind,
    RefundClaim,
    RevocationBasis,
    RevocationGround,
    RevocationOutcome,
    RevocationStatus,
)
from applications.revocation import services
from funding.models import LedgerEntry, LedgerKind
from funding.services import committed_for_application

pytestmark = pytest.mark.django_db

EFFECTIVE = datetime.date(2025, 7, 1)


def open_case(app, user, amounts=None, **kwargs):
    params = {"ground": RevocationGround.PURPOSE, "basis": RevocationBasis.WIDERRUF_NR1,
              "facts": "Die Stelle war von Juli bis Dezember 2025 nicht besetzt.", "effective_date": EFFECTIVE,
              "amounts": amounts or {2025: D("12000.00")}}
    params.update(kwargs)
    return services.revocation_open(application=app, user=user, **params)


def to_decision(app, staffers, *, answer=None, people=None, waived=False, waiver_reason="",
                outcome=RevocationOutcome.REVOKE, today=datetime.date(2026, 2, 2)):
    sb, bw = staffers["sachbearbeitung"], staffers["bewilligung"]
    rv = open_case(app, sb)
    services.hearing_send(revocation=rv, user=sb, deadline=datetime.date(2026, 1, 5),
                          today=datetime.date(2025, 12, 1))
    if answer:
        services.hearing_answer(revocation=rv, user=people["signatory"], text=answer)
    services.revocation_prepare(revocation=rv, user=sb, outcome=outcome,
                                considerations="Das öffentliche Interesse an sparsamer Mittelverwendung überwiegt.",
                                answer_assessment="Die Stellungnahme ändert nichts: die Stelle blieb unbesetzt."
                                if answer else "", interest_waived=waived, interest_waiver_reason=waiver_reason,
                                today=today)
    return services.revocation_decide(revocation=rv, user=bw, today=today)


def test_partial_revocation_refund_release_interest_and_notice(funded, staffers, people):
    rv = to_decision(funded, staffers, answer="Wir haben uns um Besetzung bemüht.", people=people)
    assert rv.status == RevocationStatus.DECIDED
    year = rv.years.get()
    assert (year.revoked, year.refund, year.released) == (D("12000.00"), D("2000.00"), D("10000.00"))
    # the commitment drops by the released part only: 30,000 − 10,000 = 20,000 = paid and not refunded
    assert committed_for_application(application_id=funded.pk) == D("20000.00")
    funded.refresh_from_db()
    assert funded.approved_amount == D("18000.00")
    assert funded.plan_years.get(year=2025).approved_grant == D("18000.00")
    claim = rv.claim
    assert claim.principal == D("2000.00")
    assert claim.interest_from == EFFECTIVE
    # decided 2 Feb 2026 → received on the 3rd day (5 Feb) → due one month later
    assert claim.due_date == datetime.date(2026, 3, 5)
    notice = rv.decision_notice
    assert notice.kind == NoticeKind.REVOCATION
    shown = notice.context["revocation"]["claim"]
    assert [(r["days"], r["rate"], r["amount"]) for r in shown["rows"]] == [(183, "6,27", "62.87"),
                                                                            (33, "6,27", "11.34")]
    assert shown["interest_total"] == "74.21"
    assert notice.context["revocation"]["assessment_paras"]  # the answer is addressed in the reasons


def test_claim_paid_in_two_instalments_and_closed(funded, staffers, people):
    rv = to_decision(funded, staffers)
    claim = rv.claim
    hh = staffers["haushalt"]
    # 2 Mar 2026: interest 2 Jul 2025 – 2 Mar 2026 = 62.87 (183 days of 2025)
    #   + 1 Jan – 2 Mar 2026 = 61 days: 125.4 × 61/365 = 20.9573 → 20.96; together 83.83
    #   1,000 paid: 83.83 to interest, 916.17 to principal → principal left 1,083.83
    first = services.claim_payment_record(claim=claim, user=hh, amount=D("1000.00"),
                                          received_on=datetime.date(2026, 3, 2), today=datetime.date(2026, 3, 3))
    assert (first.to_interest, first.to_principal) == (D("83.83"), D("916.17"))
    # 3 Mar – 1 Apr 2026 = 30 days on 1,083.83: 1,083.83 × 0.0627 × 30/365 = 5.5854 → 5.59; due 1,089.42
    figures = services.claim_figures(claim, until=datetime.date(2026, 4, 1))
    assert (figures.principal, figures.interest_due, figures.total) == (D("1083.83"), D("5.59"), D("1089.42"))
    second = services.claim_payment_record(claim=claim, user=hh, amount=D("1089.42"),
                                           received_on=datetime.date(2026, 4, 1), today=datetime.date(2026, 4, 2))
    assert (second.to_interest, second.to_principal) == (D("5.59"), D("1083.83"))
    claim.refresh_from_db()
    assert (claim.status, claim.settled_on) == (ClaimStatus.SETTLED, datetime.date(2026, 4, 1))
    refunds = LedgerEntry.objects.filter(application=funded, kind=LedgerKind.REFUND)
    assert sorted(e.amount for e in refunds) == [D("916.17"), D("1083.83")]
    # the refunded 2,000 released too: committed = 18,000 = the remaining grant = paid 20,000 − refunded 2,000
    assert committed_for_application(application_id=funded.pk) == D("18000.00")
    with pytest.raises(services.RevocationError, match="bereits erledigt"):
        services.claim_payment_record(claim=claim, user=hh, amount=D("1.00"), received_on=datetime.date(2026, 4, 2),
                                      today=datetime.date(2026, 4, 2))


def test_waived_interest_needs_a_reason_and_then_no_interest(funded, staffers):
    sb = staffers["sachbearbeitung"]
    rv = open_case(funded, sb)
    services.hearing_send(revocation=rv, user=sb, deadline=datetime.date(2026, 1, 5), today=datetime.date(2025, 12, 1))
    with pytest.raises(services.RevocationError) as exc:
        services.revocation_prepare(revocation=rv, user=sb, outcome=RevocationOutcome.REVOKE,
                                    considerations="Erwägungen", interest_waived=True, interest_waiver_reason="  ",
                                    today=datetime.date(2026, 2, 2))
    assert exc.value.field == "interest_waiver_reason"
    assert "begründen Sie den Verzicht" in str(exc.value)
    services.revocation_prepare(revocation=rv, user=sb, outcome=RevocationOutcome.REVOKE, considerations="Erwägungen",
                                interest_waived=True, interest_waiver_reason="Nicht zu vertreten; fristgerecht gezahlt.",
                                today=datetime.date(2026, 2, 2))
    rv = services.revocation_decide(revocation=rv, user=staffers["bewilligung"], today=datetime.date(2026, 2, 2))
    assert rv.claim.interest_from is None
    assert services.claim_figures(rv.claim, until=datetime.date(2026, 6, 1)).total == D("2000.00")


def test_late_use_interest_of_49a_paragraph_4_is_fixed_in_the_notice(org, staffers):
    from applications.models import Payment
    from tests.revocation.conftest import approve_2025

    app = approve_2025(org, paid=[(datetime.date(2025, 2, 3), "10000.00")])
    # reported as used on 16 Jun 2025: 4 Feb – 16 Jun = 25+31+30+31+16 = 133 days at 2.27 + 5 = 7.27 %
    #   10,000 × 0.0727 × 133/365 = 727 × 133 / 365 = 264.9068 → 264.91
    Payment.objects.filter(application=app).update(
        spent_reported_at=datetime.datetime(2025, 6, 16, 12, tzinfo=datetime.UTC))
    rv = to_decision(app, staffers)
    # remaining 30,000 − 12,000 = 18,000 ≥ 10,000 paid: nothing to refund, only late-use interest
    assert rv.refund_total == D("0.00")
    assert rv.claim.principal == D("0.00") and rv.claim.late_use_interest == D("264.91")
    rows = rv.decision_notice.context["revocation"]["claim"]["late_use"][0]["rows"]
    assert [(r["days"], r["rate"], r["amount"]) for r in rows] == [(133, "7,27", "264.91")]
    # a payment goes first to this interest
    pay = services.claim_payment_record(claim=rv.claim, user=staffers["haushalt"], amount=D("264.91"),
                                        received_on=datetime.date(2026, 3, 1), today=datetime.date(2026, 3, 1))
    assert (pay.to_interest, pay.to_principal) == (D("264.91"), D("0.00"))
    assert RefundClaim.objects.get(pk=rv.claim.pk).status == ClaimStatus.SETTLED


def test_discontinued_closes_without_revocation(funded, staffers, people):
    rv = to_decision(funded, staffers, outcome=RevocationOutcome.DISCONTINUE, answer="Stelle ist besetzt.",
                     people=people)
    assert rv.status == RevocationStatus.DISCONTINUED
    assert rv.decision_notice.kind == NoticeKind.REVOCATION_END
    assert not RefundClaim.objects.filter(revocation=rv).exists()
    assert committed_for_application(application_id=funded.pk) == D("30000.00")
    funded.refresh_from_db()
    assert funded.approved_amount == D("30000.00")


def test_a_revocation_of_unpaid_money_refunds_nothing(org, staffers):
    from tests.revocation.conftest import approve_2025

    app = approve_2025(org, paid=[(datetime.date(2025, 3, 3), "10000.00")])
    rv = to_decision(app, staffers)  # revokes 12,000 of 30,000: 18,000 remain ≥ 10,000 paid
    assert (rv.refund_total, rv.years.get().released) == (D("0.00"), D("12000.00"))
    assert not RefundClaim.objects.filter(revocation=rv).exists()
    assert committed_for_application(application_id=app.pk) == D("18000.00")


def test_refunds_shown_per_year_and_line_in_budget_overview_and_report(funded, staffers, client_as):
    from funding.selectors import budget_overview
    from reports.selectors import ReportFilters, programme_overview

    rv = to_decision(funded, staffers)
    services.claim_payment_record(claim=rv.claim, user=staffers["haushalt"], amount=D("1000.00"),
                                  received_on=datetime.date(2026, 3, 2), today=datetime.date(2026, 3, 3))
    # 1,000 paid: 83.83 interest, 916.17 refunded principal (test_claim_paid_in_two_instalments_and_closed)
    year = next(y for y in budget_overview(years=[2025]))
    row = next(r for r in year.rows if r.rule.pk == funded.rule_id)
    assert row.figures.refunded == D("916.17") and year.has_refunds
    assert services.refunds_per_year_and_line() == [{"year": 2025, "line": funded.rule.line.name,
                                                     "total": D("916.17")}]
    overview = programme_overview(ReportFilters(year=2025))
    assert next(r for r in overview.rows if r.rule_id == funded.rule_id).refunded == D("916.17")
    from django.urls import reverse

    page = client_as(staffers["haushalt"]).get(reverse("admin:funding_budget_overview"))
    assert page.status_code == 200 and "Rückzahlungen (Widerruf)" in page.content.decode()
    assert "916,17 €" in page.content.decode()
