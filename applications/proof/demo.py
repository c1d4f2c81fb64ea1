"""Demo data of the proof of use (`seed --demo`, after the payments demo): a Belegliste in progress, an interim proof
submitted for a Vielfaltszentrum, an overdue proof with its reminders, a proof checked and closed without objection
and one checked with a computed repayment — made through the real services.

Demo shortcuts (the demo's "today" is the real one, before the 2026 periods end): proofs are submitted and checked
before their due dates, and the overdue proof's due date is moved six weeks into the past."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from applications.models import Application, CheckDepth, Expense, Proof, ProofIncome
from applications.proof import services

D = Decimal


def _expenses(app: Application, user, plan: list[tuple[int, str, str, str, int]]) -> None:
    """plan: (cost line index of the year, payee, purpose, monthly amount, months from January)."""
    items = [line.item for line in services.spending_overview(app).lines if line.item.year == 2026]
    today = timezone.localdate()
    rows = []
    for index, payee, purpose, amount, months in plan:
        for month in range(1, months + 1):
            day = datetime.date(2026, month, 28)
            if day > today:
                break
            rows.append(Expense(application=app, cost_item=items[index], paid_on=day, payee=payee,
                                purpose=f"{purpose} {day:%m/%Y}", amount=D(amount), created_by=user,
                                receipt_number=f"B-{month:02d}-{index + 1}"))
    Expense.objects.bulk_create(rows)


def _report(proof: Proof, **extra) -> None:
    proof.report = {
        "activities": "Beratung und Begleitung von Neuzugewanderten; Netzwerktreffen mit Trägern und Ämtern.",
        "activities_count": "48", "participants": "312",
        "results": "Die vereinbarten Ziele wurden im Wesentlichen erreicht.",
        "deviations": "Keine wesentlichen Abweichungen.", **extra}
    proof.save(update_fields=["report"])


def _interim_2026(app: Application) -> Proof:
    return next(p for p in services.proofs_ensure(application=app) if p.year_from == 2026)


def _check(proof: Proof, *, sb, bw, notes: str, depth=CheckDepth.CURSORY, samples=False) -> None:
    check = services.check_start(proof=proof, user=sb, depth=depth)
    if samples:
        item = proof.application.cost_items.filter(year=proof.year_from).order_by("id").first()
        services.check_request_samples(check=check, user=sb, cost_items=[item])
    services.check_save(check=check, user=sb, depth=depth, notes=notes,
                        checklist={key: True for key, _ in services.CHECKLIST_KEYS})
    check = services.check_sign(check=check, user=sb)
    services.check_countersign(check=check, user=bw)


@transaction.atomic
def seed_proof_demo() -> None:
    if Proof.objects.filter(application__title__startswith="[Demo]").exclude(status="open").exists():
        return
    from applications.payments import services as pay

    User = get_user_model()  # noqa: N806
    sb, bw, hh = (User.objects.get(email=f"{name}@demo.wir") for name in ("sachbearbeitung", "bewilligung", "haushalt"))
    demo = {a.title: a for a in Application.objects.filter(title__startswith="[Demo]")}

    # 1. Belegliste in progress: Vielfaltszentrum Hochtaunuskreis, interim proof 2026 open
    app = demo["[Demo] WIR-Vielfaltszentrum Hochtaunuskreis 2026–2030"]
    user = User.objects.get(email="hochtaunus@demo.wir")
    _expenses(app, user, [(0, "Kreisverwaltung Hochtaunuskreis (Bezüge)", "Entgelt Koordination 1,75 VZÄ", "10208.33", 10),
                          (1, "Kreisverwaltung Hochtaunuskreis (Bezüge)", "Entgelt Mitarbeitsstelle", "2083.33", 10)])
    services.proofs_ensure(application=app)

    # 2. Interim proof 2026 submitted: Vielfaltszentrum Landkreis Gießen (with the Zielvereinbarung targets)
    app = demo["[Demo] WIR-Vielfaltszentrum Landkreis Gießen 2026–2030"]
    user = User.objects.get(email="giessen@demo.wir")
    _expenses(app, user, [(0, "Landkreis Gießen (Bezüge)", "Entgelt Koordination 2,0 VZÄ", "11666.66", 11),
                          (1, "Landkreis Gießen (Bezüge)", "Entgelt Mitarbeitsstelle 0,5 VZÄ", "2000.00", 11),
                          (2, "Interkultureller Frauentreff Gießen e. V.", "Weiterleitung Mikroprojekt", "416.66", 11)])
    proof = _interim_2026(app)
    _report(proof, targets="Ziel 1 (interkulturelle Öffnung der Kreisverwaltung): erreicht – 6 Schulungen, 84 "
                           "Beschäftigte.\nZiel 2 (Netzwerk Integration): erreicht – 4 Netzwerktreffen.\nZiel 3 "
                           "(Mikroprojekte): teilweise – ein Träger startet erst 2027.",
            micro_projects="Interkultureller Frauentreff Gießen e. V.: 2.500 € (Sprachcafé); Sportverein Lich-Vielfalt "
                           "e. V.: 2.500 € zugesagt, Start 2027.", network="Netzwerk Integration Landkreis Gießen.")
    ProofIncome.objects.create(proof=proof, year=2026, own_funds=D("24000.00"))
    services.proof_submit(proof=proof, user=user)

    # 3. Checked with a computed repayment: Vielfaltszentrum Bad Homburg, 2026 (a post vacant for four months)
    app = demo["[Demo] WIR-Vielfaltszentrum Bad Homburg v. d. Höhe 2026–2030"]
    user = User.objects.get(email="badhomburg@demo.wir")
    payment = pay.payment_request(application=app, user=user, year=2026, amount=D("100000.00"), need_declared=True)
    pay.payment_confirm(payment=payment, user=sb)
    pay.payment_order(payment=payment, user=hh)
    run = pay.run_create(user=hh, payment_ids=[payment.pk],
                         execution_date=timezone.localdate() - datetime.timedelta(days=200))
    pay.run_execute(run=run, user=hh)
    _expenses(app, user, [(0, "Stadt Bad Homburg (Bezüge)", "Entgelt Koordination", "9000.00", 10),
                          (1, "Stadt Bad Homburg (Bezüge)", "Entgelt Mitarbeitsstelle", "1666.66", 10)])
    proof = _interim_2026(app)
    _report(proof, targets="Ziel 1: teilweise – Koordinationsstelle vier Monate unbesetzt.", micro_projects="keine",
            network="Runder Tisch Integration.")
    ProofIncome.objects.create(proof=proof, year=2026, own_funds=app.plan_years.get(year=2026).own_funds)
    services.proof_submit(proof=proof, user=user)
    _check(proof, sb=sb, bw=bw, depth=CheckDepth.THOROUGH, samples=True,
           notes="Die Koordinationsstelle war von Januar bis April unbesetzt; die Minderausgaben mindern die "
                 "Zuwendung (Fehlbedarfsfinanzierung: in voller Höhe).")

    # 4. Checked and closed without objection: Willkommenslotsen Landkreis Gießen 2026 (final proof)
    app = demo["[Demo] Willkommenslotsen im Landkreis Gießen 2026"]
    user = User.objects.get(email="giessen@demo.wir")
    items = services.spending_overview(app).lines
    _expenses(app, user, [(i, "Landkreis Gießen (Bezüge)", f"Entgelt {line.item.description[:40]}",
                           str((line.approved / 12).quantize(D("0.01"))), 10) for i, line in enumerate(items)])
    proof = services.proofs_ensure(application=app)[-1]
    _report(proof)
    ProofIncome.objects.create(proof=proof, year=2026, **{
        "own_funds": app.plan_years.get(year=2026).own_funds})
    services.proof_submit(proof=proof, user=user)
    _check(proof, sb=sb, bw=bw, notes="Ohne Beanstandung.")

    # 5. Overdue with reminders sent: Öffnung der Bürgerämter Frankfurt am Main 2026 (demo: due six weeks ago)
    app = demo["[Demo] Vielfaltsorientierte Öffnung der Bürgerämter Frankfurt am Main 2026"]
    user = User.objects.get(email="frankfurt@demo.wir")
    _expenses(app, user, [(0, "Stadt Frankfurt am Main (Bezüge)", "Entgelt Projektkoordination", "5000.00", 6)])
    proof = services.proofs_ensure(application=app)[-1]
    due = timezone.localdate() - datetime.timedelta(days=45)
    Proof.objects.filter(pk=proof.pk).update(due_on=due)
    for day in (due - datetime.timedelta(days=28), due, due + datetime.timedelta(days=14),
                due + datetime.timedelta(days=42)):
        services.proof_reminders_send(today=day)
