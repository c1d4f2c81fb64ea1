"""Paid figures everywhere after a run is executed: budget overview, reports (cash flow), applicant dashboard,
CSV export — all from the ledger's PAYMENT entries."""

import csv
import io
from decimal import Decimal

from django.utils import timezone

from applications.models import Payment
from applications.payments import services

D = Decimal


def _pay(funded, people, staffers, amount):
    p = services.payment_request(application=funded, user=people["signatory"], year=2027, amount=D(amount),
                                 need_declared=True)
    services.payment_confirm(payment=p, user=staffers["sachbearbeitung"])
    services.payment_order(payment=p, user=staffers["haushalt"])
    run = services.run_create(user=staffers["haushalt"], payment_ids=[p.pk])
    services.run_execute(run=run, user=staffers["haushalt"])


def test_paid_shows_on_dashboard_reports_and_export(funded, people, staffers, client_as):
    _pay(funded, people, staffers, "1234.56")
    _pay(funded, people, staffers, "1000.00")
    assert Payment.objects.filter(status="paid").count() == 2

    dashboard = client_as(people["colleague"]).get("/portal/").content.decode()
    assert "ausgezahlt 2.234,56 €" in dashboard

    boss = staffers["bewilligung"]  # may see reports
    page = client_as(boss).get("/berichte/auszahlungen/")
    assert page.status_code == 200
    flow = page.context["flow"]
    now = timezone.now()
    assert [(r.year, r.month, r.count, r.paid) for r in flow.months] == [(now.year, now.month, 2, D("2234.56"))]
    assert flow.total == D("2234.56")
    assert client_as(people["signatory"]).get("/berichte/auszahlungen/").status_code == 404

    trend = client_as(boss).get("/berichte/verlauf/").content.decode()
    assert "2.234,56 €" in trend

    export = client_as(boss).get("/berichte/export/antraege.csv?jahr=2027")
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    col = rows[0].index("Ausgezahlt (€)")
    row = next(r for r in rows[1:] if r[1] == funded.file_number)
    assert row[col] == "2234,56"


def test_budget_overview_shows_paid(funded, people, staffers, client_as):
    _pay(funded, people, staffers, "500.00")
    from django.urls import reverse

    page = client_as(staffers["superuser"]).get(reverse("admin:funding_budget_overview") + "?jahr=2027")
    assert page.status_code == 200
    assert "500,00 €" in page.content.decode()
