"""Demo data of revocation and recovery (called from applications.demo.seed_demo with one line).

Four 2025 approvals whose payouts lie in the past, each taken through the real revocation services on the day it
would have happened (the services' `today`), so notices, ledger rows, interest and events are what the portal
produces:
1. Frankfurt (Vielfaltszentrum 2025): a proceeding in the hearing phase (hearing sent today, four weeks to answer).
2. Landkreis Gießen (Vielfaltszentrum 2025): a partial revocation with refund and interest; the claim is open and overdue.
3. Verein Brücke (Migrantenorganisationen): a partial revocation whose claim was paid in two instalments (closed).
4. Caritas Kassel (Integrationslotsen): the whole grant revoked after no proof of use despite a reminder.

Demo shortcut: the 2025 approvals are booked directly in the ledger (commitment, payments) with a sent approval
notice dated 15/20 January 2025, not decided through the 2025 application workflow.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from applications import services as app_services
from applications.models import (
    Application,
    CostItem,
    Notice,
    NoticeKind,
    NoticeStatus,
    Organisation,
    Payment,
    PaymentStatus,
    PlanYear,
    Revocation,
    RevocationBasis,
    RevocationGround,
    RevocationOutcome,
)
from applications.revocation import services as rv_services
from applications.workflow import Status
from funding import services as budget
from funding.models import LineRule

YEAR = 2025
D = Decimal


def _day(value: str) -> datetime.date:
    return datetime.date.fromisoformat(value)


def _approval(*, organisation, user, code: str, number: str, title: str, grant: str, approved_on: str,
              payouts: list[tuple[str, str]]) -> Application:
    rule = LineRule.objects.select_related("line", "programme_year").get(line__code=code, programme_year__year=YEAR)
    amount = D(grant)
    app = Application.objects.create(
        organisation=organisation, rule=rule, title=title, purpose="Demo: Vorhaben des Jahres 2025.",
        period_start=datetime.date(YEAR, 1, 1), period_end=datetime.date(YEAR, 12, 31),
        contact_name=user.get_full_name(), contact_email=user.email, created_by=user, details={},
        file_number=f"WIR-{YEAR}-{rule.line.short}-{number}", status=Status.APPROVED, approved_amount=amount,
        requested_amount=amount, submitted_at=timezone.make_aware(datetime.datetime(YEAR - 1, 12, 1, 10)),
        decided_at=timezone.make_aware(datetime.datetime.combine(_day(approved_on), datetime.time(10))),
    )
    CostItem.objects.create(application=app, year=YEAR, category="personnel", description="Personal",
                            amount=amount, approved_amount=amount)
    PlanYear.objects.create(application=app, year=YEAR, requested_grant=amount, approved_grant=amount)
    app_services.plan_totals_refresh(application=app)
    if budget.budget_available(rule=rule) < amount:  # demo: the closed year 2025 gets the room it needs
        LineRule.objects.filter(pk=rule.pk).update(allocation=rule.allocation + amount)
        rule.refresh_from_db()
    budget.budget_commit(rule=rule, application=app, amount=amount, user=None, reason="Demo: Bewilligung 2025")
    sent = timezone.make_aware(datetime.datetime.combine(_day(approved_on), datetime.time(11)))
    Notice.objects.create(application=app, kind=NoticeKind.APPROVAL, status=NoticeStatus.SENT, sent_at=sent,
                          first_sent_at=sent, amount=amount, number=f"{app.file_number}/1",
                          context={"kind": "approval", "date": approved_on})
    for day, value in payouts:
        entry = budget.budget_pay(rule=rule, application=app, amount=D(value), user=None, reason="Demo: Auszahlung")
        Payment.objects.create(application=app, year=YEAR, amount=D(value), status=PaymentStatus.PAID,
                               paid_on=_day(day), ledger_entry=entry, iban=organisation.iban,
                               spend_by=_day(day) + datetime.timedelta(days=61))
    return app


def _opened_on(rv, day: str) -> None:
    """Demo: the proceeding was opened on that day (the services stamp the real time)."""
    Revocation.objects.filter(pk=rv.pk).update(
        opened_at=timezone.make_aware(datetime.datetime.combine(_day(day), datetime.time(8))))


def _answer(rv, user, text: str, day: str) -> None:
    rv_services.hearing_answer(revocation=rv, user=user, text=text)
    Revocation.objects.filter(pk=rv.pk).update(
        answered_at=timezone.make_aware(datetime.datetime.combine(_day(day), datetime.time(9))))
    rv.refresh_from_db()


@transaction.atomic
def seed_revocation_demo() -> None:
    if Revocation.objects.filter(application__title__startswith="[Demo]").exists():
        return
    User = get_user_model()  # noqa: N806
    sb = User.objects.get(email="sachbearbeitung@demo.wir")
    bw = User.objects.get(email="bewilligung@demo.wir")
    hh = User.objects.get(email="haushalt@demo.wir")
    frankfurt, giessen = User.objects.get(email="frankfurt@demo.wir"), User.objects.get(email="giessen@demo.wir")
    vorstand, caritas = User.objects.get(email="vorstand@demo.wir"), User.objects.get(email="traeger@demo.wir")
    orgs = {o.name: o for o in Organisation.objects.filter(name__in=[
        "Frankfurt am Main", "Landkreis Gießen", "Demo: Interkultureller Verein Brücke e. V.",
        "Demo: Caritasverband Kassel (Träger)"])}

    # 1. hearing phase (today)
    app = _approval(organisation=orgs["Frankfurt am Main"], user=frankfurt, code="vielfaltszentren", number="9001",
                    title="[Demo] WIR-Vielfaltszentrum Frankfurt am Main 2025", grant="50000.00",
                    approved_on="2025-01-15", payouts=[("2025-02-10", "25000.00"), ("2025-07-10", "25000.00")])
    rv = rv_services.revocation_open(
        application=app, user=sb, ground=RevocationGround.PURPOSE, basis=RevocationBasis.WIDERRUF_NR1,
        facts="Nach dem Zwischenbericht war die geförderte Koordinationsstelle vom 1. Oktober bis zum 31. Dezember "
              "2025 nicht besetzt; die Mittel für diese Zeit wurden nicht für den Zuwendungszweck verwendet.",
        effective_date=_day("2025-10-01"), amounts={YEAR: D("12500.00")})
    rv_services.hearing_send(revocation=rv, user=sb)

    # 2. partial revocation with refund and interest; claim open (overdue)
    app = _approval(organisation=orgs["Landkreis Gießen"], user=giessen, code="vielfaltszentren", number="9002",
                    title="[Demo] WIR-Vielfaltszentrum Landkreis Gießen 2025", grant="40000.00",
                    approved_on="2025-01-15", payouts=[("2025-03-03", "40000.00")])
    rv = rv_services.revocation_open(
        application=app, user=sb, ground=RevocationGround.PURPOSE, basis=RevocationBasis.WIDERRUF_NR1,
        facts="Die geförderte Stelle war vom 1. Juli bis zum 31. August 2025 unbesetzt (Elternzeitvertretung erst ab "
              "September). Für diese zwei Monate sind 8.000,00 € nicht für den Zweck verwendet worden.",
        effective_date=_day("2025-07-01"), amounts={YEAR: D("8000.00")})
    _opened_on(rv, "2026-01-09")
    rv_services.hearing_send(revocation=rv, user=sb, deadline=_day("2026-02-09"), today=_day("2026-01-12"))
    _answer(rv, giessen, "Die Vertretung ließ sich trotz zweier Ausschreibungen nicht früher besetzen. Wir bitten, "
                         "von Zinsen abzusehen.", "2026-02-02")
    rv_services.revocation_prepare(
        revocation=rv, user=sb, outcome=RevocationOutcome.REVOKE,
        considerations="Der Zuwendungszweck – die durchgehende Fallbegleitung – wurde für zwei Monate nicht "
                       "erreicht. Das Interesse des Landes an der wirtschaftlichen und sparsamen Verwendung der "
                       "Haushaltsmittel (§ 7 LHO) überwiegt das Interesse des Landkreises, die Mittel zu behalten; "
                       "ein Vertrauensschutz besteht nicht, weil die Mittel nicht zweckentsprechend verwendet wurden.",
        answer_assessment="Die Bemühungen um eine Vertretung erkennen wir an. Sie ändern nichts daran, dass die Mittel "
                          "für zwei Monate nicht für den Zweck verwendet wurden. Von Zinsen sehen wir nicht ab: der "
                          "Landkreis hätte den Ausfall sofort mitteilen und die Mittel zurückzahlen können "
                          "(Nr. 5 ANBest-GK).",
        today=_day("2026-03-02"))
    rv_services.revocation_decide(revocation=rv, user=bw, today=_day("2026-03-02"))

    # 3. claim paid in two instalments and closed
    app = _approval(organisation=orgs["Demo: Interkultureller Verein Brücke e. V."], user=vorstand,
                    code="migrantenorganisationen", number="9003",
                    title="[Demo] Professionalisierung Verein Brücke 2025", grant="10200.00",
                    approved_on="2025-01-20", payouts=[("2025-02-03", "10200.00")])
    rv = rv_services.revocation_open(
        application=app, user=sb, ground=RevocationGround.CONDITIONS, basis=RevocationBasis.WIDERRUF_NR2,
        facts="Das Mikroprojekt (3.000,00 €) wurde nach dem Sachbericht nicht durchgeführt; entgegen Nr. 5.1 "
              "ANBest-P wurde dies nicht unverzüglich mitgeteilt.",
        effective_date=_day("2025-09-01"), amounts={YEAR: D("3000.00")})
    _opened_on(rv, "2025-11-14")
    rv_services.hearing_send(revocation=rv, user=sb, deadline=_day("2025-12-15"), today=_day("2025-11-17"))
    rv_services.revocation_prepare(
        revocation=rv, user=sb, outcome=RevocationOutcome.REVOKE,
        considerations="Die Mitteilungspflicht ist eine Auflage des Bescheids. Eine Stellungnahme ist nicht "
                       "eingegangen. Gründe, die Mittel für das nicht durchgeführte Mikroprojekt zu belassen, sind "
                       "nicht ersichtlich.",
        today=_day("2026-01-15"))
    rv = rv_services.revocation_decide(revocation=rv, user=bw, today=_day("2026-01-15"))
    claim = rv.claim
    rv_services.claim_payment_record(claim=claim, user=hh, amount=D("1500.00"), received_on=_day("2026-02-16"),
                                     reference="Rate 1", today=_day("2026-02-17"))
    rest = rv_services.claim_figures(claim, until=_day("2026-03-16"))
    rv_services.claim_payment_record(claim=claim, user=hh, amount=rest.total, received_on=_day("2026-03-16"),
                                     reference="Rate 2 (Rest)", today=_day("2026-03-17"))

    # 4. no proof of use after a reminder: the whole grant revoked with effect from the approval
    app = _approval(organisation=orgs["Demo: Caritasverband Kassel (Träger)"], user=caritas, code="lotsen",
                    number="9004", title="[Demo] Integrationslotsen Kassel 2025", grant="12000.00",
                    approved_on="2025-01-20", payouts=[("2025-03-03", "12000.00")])
    rv = rv_services.revocation_open(
        application=app, user=sb, ground=RevocationGround.NO_PROOF, basis=RevocationBasis.WIDERRUF_NR2,
        facts="Der Verwendungsnachweis war bis zum 30. Juni 2026 vorzulegen (Nr. 6 ANBest-P). Er ist trotz "
              "Erinnerung vom 15. Juli 2026 mit Frist bis zum 15. August 2026 nicht eingegangen.",
        effective_date=_day("2025-01-20"), amounts={YEAR: D("12000.00")})
    _opened_on(rv, "2026-08-14")
    rv_services.hearing_send(revocation=rv, user=sb, deadline=_day("2026-09-14"), today=_day("2026-08-17"))
    rv_services.revocation_prepare(
        revocation=rv, user=sb, outcome=RevocationOutcome.REVOKE,
        considerations="Ohne Verwendungsnachweis ist nicht belegt, dass die Zuwendung für den Zweck verwendet wurde. "
                       "Der Nachweis ist die zentrale Auflage des Bescheids; mildere Mittel (Erinnerung, Anhörung) "
                       "blieben ohne Erfolg. Der Widerruf des ganzen Bescheids ist daher ermessensgerecht.",
        today=_day("2026-09-21"))
    rv_services.revocation_decide(revocation=rv, user=bw, today=_day("2026-09-21"))
