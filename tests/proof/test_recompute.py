"""The check: what the grant should have been under every financing type (Nr. 2.1 ANBest-P), hand-computed; the
Prüfvermerk under four eyes; closing releases unused commitments and the retention; a repayment is exposed to the
revocation proceeding (proof_repayment)."""

import datetime
from decimal import Decimal

import pytest

from applications.models import (
    CheckDepth,
    CheckOutcome,
    NoticeKind,
    PaymentPlan,
    ProofIncome,
    ProofStatus,
)
from applications.payments import services as payments
from applications.proof import services
from funding import services as budget
from funding.models import LedgerEntry, LineRule
from tests.proof.conftest import add_lines, expense

pytestmark = pytest.mark.django_db
D = Decimal


def due(kind, *, approved, eligible, income, rate=None, rows=None, planned_eligible="0", planned_income="0"):
    return services.grant_after_proof(financing_type=kind, funding_rate=D(rate) if rate else None,
                                      approved_grant=D(approved), eligible_planned=D(planned_eligible),
                                      eligible_actual=D(eligible), income_planned=D(planned_income),
                                      income_actual=D(income), unit_rows=rows)


def test_fehlbedarf_reduced_by_the_full_amount():
    # approved 30,000 = 40,000 eligible − 10,000 own funds
    assert due("fehlbedarf", approved="30000", eligible="36000", income="10000") == D("26000.00")  # 4,000 less cost
    assert due("fehlbedarf", approved="30000", eligible="40000", income="12500") == D("27500.00")  # 2,500 more income
    assert due("fehlbedarf", approved="30000", eligible="38000", income="11000") == D("27000.00")  # both: −2,000 −1,000
    assert due("fehlbedarf", approved="30000", eligible="40000", income="9000") == D("30000.00")  # never above approved
    assert due("fehlbedarf", approved="30000", eligible="8000", income="10000") == D("0.00")  # never below zero


def test_anteil_pro_rata_of_actual_eligible_costs():
    # 80 % of 35,000 = 28,000 (approved was 80 % of 40,000 = 32,000)
    assert due("anteil", approved="32000", eligible="35000", income="0", rate="80") == D("28000.00")
    # 72.5 % of 33,333.33 = 24,166.664… -> 24,166.66 (half up to cents)
    assert due("anteil", approved="30000", eligible="33333.33", income="0", rate="72.5") == D("24166.66")
    # more income does not change a share of the costs
    assert due("anteil", approved="32000", eligible="40000", income="5000", rate="80") == D("32000.00")


def test_festbetrag_only_when_the_unit_basis_was_not_reached():
    rows = [{"quantity": "3000", "rate": "4.00", "achieved": None}]
    # no quantities reported: unchanged while the costs reach the fixed sum
    assert due("festbetrag", approved="12000", eligible="15000", income="3000", rows=rows) == D("12000.00")
    # 2,500 of 3,000 hours at 4 € = 10,000 (costs 11,000 are higher: the unit basis decides)
    rows = [{"quantity": "3000", "rate": "4.00", "achieved": "2500"}]
    assert due("festbetrag", approved="12000", eligible="11000", income="0", rows=rows) == D("10000.00")
    # reached (3,200 ≥ 3,000): no reduction however much income there was
    rows = [{"quantity": "3000", "rate": "4.00", "achieved": "3200"}]
    assert due("festbetrag", approved="12000", eligible="12500", income="4000", rows=rows) == D("12000.00")
    # reached, but only 9,000 spent: never more than the expenses
    assert due("festbetrag", approved="12000", eligible="9000", income="0", rows=rows) == D("9000.00")


def test_voll_every_income_reduces():
    # 18,500 spent, 500 third-party money: 18,000 of the approved 20,000
    assert due("voll", approved="20000", eligible="18500", income="500") == D("18000.00")


def test_eligible_actual_counts_each_line_up_to_its_tolerance():
    # line A 10,000 approved, 12,500 spent: counts 12,000 (+20 %); line B 10,000 approved, 7,000 spent -> 19,000
    assert services.eligible_actual(lines=[(D("10000"), D("12500")), (D("10000"), D("7000"))],
                                    tolerance_percent=D("20")) == D("19000.00")
    # 11,500 + 10,000 = 21,500, but never more than the approved total 20,000
    assert services.eligible_actual(lines=[(D("10000"), D("11500")), (D("10000"), D("10000"))],
                                    tolerance_percent=D("20")) == D("20000.00")
    # a line excluded by the decision (0) counts nothing
    assert services.eligible_actual(lines=[(D("0"), D("500")), (D("1000"), D("900"))],
                                    tolerance_percent=D("20")) == D("900.00")


def _book_payment(app, amount):
    rule = LineRule.objects.get(line=app.rule.line, programme_year__year=app.year)
    budget.budget_pay(rule=rule, application=app, amount=D(amount), user=None, reason="Test")
    from tests.proof.conftest import pay

    pay(app, app.year, amount)


def _submitted(app, people, lines, spent, own):
    """A Fehlbedarf grant of 30,000 (40,000 costs, 10,000 own funds), its final proof submitted."""
    LineRule.objects.filter(pk=app.rule_id).update(financing_type="fehlbedarf", funding_rate=None)
    app.rule.refresh_from_db()
    items = add_lines(app, lines)
    for item, amount in zip(items, spent, strict=True):
        expense(app, item, amount)
    proof = services.proofs_ensure(application=app)[-1]
    ProofIncome.objects.create(proof=proof, year=app.year, own_funds=D(own))
    proof.report = {q.key: "1" for q in services.questions_for(app)}
    proof.save()
    services.proof_submit(proof=proof, user=people["signatory"])
    proof.refresh_from_db()
    return proof, items


def test_check_with_repayment(funded, people, staffers):
    _book_payment(funded, "30000.00")
    proof, items = _submitted(funded, people, [("Honorare", "25000.00"), ("Sachkosten", "15000.00")],
                              ["24000.00", "12000.00"], "10000.00")
    assert proof.status == ProofStatus.SUBMITTED and proof.notice.kind == NoticeKind.PROOF_RECEIPT
    check = services.check_start(proof=proof, user=staffers["sachbearbeitung"], depth=CheckDepth.THOROUGH)
    services.check_request_samples(check=check, user=staffers["sachbearbeitung"], cost_items=[items[1]])
    with pytest.raises(services.ProofError, match="Prüfliste"):
        services.check_sign(check=check, user=staffers["sachbearbeitung"])
    services.check_save(check=check, user=staffers["sachbearbeitung"], depth=CheckDepth.THOROUGH,
                        checklist={k: True for k, _ in services.CHECKLIST_KEYS}, notes="Minderausgaben 4.000 €.")
    check = services.check_sign(check=check, user=staffers["sachbearbeitung"])
    # 36,000 spent − 10,000 own funds = 26,000 due; 30,000 paid -> 4,000 to be repaid
    assert (check.grant_due, check.paid, check.repayment) == (D("26000.00"), D("30000.00"), D("4000.00"))
    assert check.outcome == CheckOutcome.REPAYMENT
    assert services.proof_repayment(funded) is None  # not countersigned yet
    with pytest.raises(services.ProofError, match="Berechtigung"):  # Sachbearbeitung does not countersign
        services.check_countersign(check=check, user=staffers["sachbearbeitung2"])
    check = services.check_countersign(check=check, user=staffers["bewilligung"])
    assert check.notice.kind == NoticeKind.PROOF_CHECK
    amount, reasons = services.proof_repayment(funded)
    assert amount == D("4000.00")
    assert "zu erstatten 4.000,00 €" in reasons and "Minderausgaben" in reasons
    proof.refresh_from_db()
    assert proof.status == ProofStatus.CHECKED


def test_four_eyes(funded, people, staffers):
    proof, _ = _submitted(funded, people, [("Honorare", "40000.00")], ["40000.00"], "10000.00")
    boss = staffers["superuser"]
    check = services.check_start(proof=proof, user=boss)
    services.check_save(check=check, user=boss, depth=CheckDepth.CURSORY,
                        checklist={k: True for k, _ in services.CHECKLIST_KEYS}, notes="")
    services.check_sign(check=check, user=boss)
    with pytest.raises(services.ProofError, match="Vier-Augen"):
        services.check_countersign(check=check, user=boss)


def test_closing_releases_unused_commitments_and_the_retention(funded, people, staffers):
    LineRule.objects.filter(pk=funded.rule_id).update(payment_retention_percent=D("5"))
    _book_payment(funded, "28000.00")
    proof, _ = _submitted(funded, people, [("Honorare", "40000.00")], ["38000.00"], "10000.00")
    assert payments.year_figures(funded)[2027].retention == D("1500.00")  # 5 % of 30,000
    check = services.check_start(proof=proof, user=staffers["sachbearbeitung"])
    services.check_save(check=check, user=staffers["sachbearbeitung"], depth=CheckDepth.CURSORY,
                        checklist={k: True for k, _ in services.CHECKLIST_KEYS}, notes="")
    check = services.check_sign(check=check, user=staffers["sachbearbeitung"])
    # 38,000 − 10,000 = 28,000 due = 28,000 paid: nothing to repay, final proof -> closed
    assert (check.grant_due, check.repayment, check.outcome) == (D("28000.00"), D("0.00"), CheckOutcome.CLOSED)
    services.check_countersign(check=check, user=staffers["bewilligung"])
    # 30,000 committed − 28,000 due = 2,000 released
    release = LedgerEntry.objects.get(application=funded, kind="release")
    assert release.amount == D("2000.00")
    assert budget.committed_for_application(application_id=funded.pk) == D("28000.00")
    plan = PaymentPlan.objects.get(application=funded, year=2027)
    assert plan.retention_released_at is not None  # released by the Sachbearbeitung who checked
    assert services.proof_repayment(funded) is None


def test_closing_twice_is_refused(funded, people, staffers):
    proof, _ = _submitted(funded, people, [("Honorare", "40000.00")], ["40000.00"], "10000.00")
    check = services.check_start(proof=proof, user=staffers["sachbearbeitung"])
    services.check_save(check=check, user=staffers["sachbearbeitung"], depth=CheckDepth.CURSORY,
                        checklist={k: True for k, _ in services.CHECKLIST_KEYS}, notes="")
    services.check_sign(check=check, user=staffers["sachbearbeitung"])
    services.check_countersign(check=check, user=staffers["bewilligung"])
    with pytest.raises(services.ProofError):
        services.check_countersign(check=check, user=staffers["superuser"])
    assert LedgerEntry.objects.filter(application=funded, kind="release").count() == 0  # 30,000 due: nothing unused


def test_anteil_through_the_check(funded, people, staffers):
    """The integration of the rate: 80 % of 35,000 actual (of 40,000 eligible) = 28,000 of a 32,000 grant."""
    LineRule.objects.filter(pk=funded.rule_id).update(financing_type="anteil", funding_rate=D("80"))
    funded.rule.refresh_from_db()
    funded.plan_years.update(approved_grant=D("32000.00"), requested_grant=D("32000.00"), own_funds=D("8000.00"))
    items = add_lines(funded, [("Personal", "40000.00")])
    expense(funded, items[0], "35000.00", day=datetime.date(2027, 5, 2))
    proof = services.proofs_ensure(application=funded)[-1]
    proof.report = {q.key: "1" for q in services.questions_for(funded)}
    proof.save()
    services.proof_submit(proof=proof, user=people["signatory"])
    [year] = services.proof_recompute(proof)
    assert (year.eligible_actual, year.grant_due) == (D("35000.00"), D("28000.00"))


def test_countersigned_repayment_opens_a_revocation_with_its_amount(funded, people, staffers, client):
    """The Prüfvermerk orders nothing itself: its repayment leads into the revocation proceeding (hearing, decision,
    refund notice), the amount and the reasons filled in from the check."""
    from urllib.parse import parse_qs, urlsplit

    from django.urls import reverse

    _book_payment(funded, "30000.00")
    proof, _ = _submitted(funded, people, [("Honorare", "25000.00"), ("Sachkosten", "15000.00")],
                          ["24000.00", "12000.00"], "10000.00")
    check = services.check_start(proof=proof, user=staffers["sachbearbeitung"], depth=CheckDepth.CURSORY)
    services.check_save(check=check, user=staffers["sachbearbeitung"], depth=CheckDepth.CURSORY,
                        checklist={k: True for k, _ in services.CHECKLIST_KEYS}, notes="")
    services.check_sign(check=check, user=staffers["sachbearbeitung"])
    client.force_login(staffers["sachbearbeitung"])
    page = client.get(reverse("admin:applications_proof_change", args=[proof.pk])).content.decode()
    assert "Widerrufsverfahren eröffnen" not in page  # not before the countersignature
    services.check_countersign(check=check, user=staffers["bewilligung"])
    page = client.get(reverse("admin:applications_proof_change", args=[proof.pk])).content.decode()
    assert "Widerrufsverfahren eröffnen" in page
    href = page.split("Widerrufsverfahren eröffnen")[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    query = parse_qs(urlsplit(href).query)
    # 36,000 spent − 10,000 own funds = 26,000 due; 30,000 paid -> 4,000
    assert query["anlass"] == ["proof_result"] and query["pruefbetrag"] == ["4000,00"]
    assert query["antrag"] == [str(funded.pk)]
    form = client.get(href)
    assert form.status_code == 200
    body = form.content.decode()
    assert 'value="4000,00"' in body or 'value="4.000,00"' in body
    assert "zu erstatten 4.000,00 €" in body
