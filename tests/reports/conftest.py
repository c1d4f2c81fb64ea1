"""A hand-computed programme year 2027 for the report tests.

    A1  Integrationsprojekte, Landkreis Gießen (entity) requested 50,000  approved 50,000, paid 20,000    10 days
    A2  Integrationsprojekte, Frankfurt am Main (entity) requested 50,000 partially 40,000, amended to 35,000
                                                                           (release 5,000)                  20 days
    A3  Migrantenorganisationen, MO seated in Marburg   requested 10,200  approved, split 2027: 5,100 /
                                                                           2028: 5,100                      30 days
    A4  Integrationslotsen, free Träger seated in Kassel requested 5,000  rejected                          45 days
    A5  Laiendolmetscher, Landkreis Kassel (entity)     requested 50,000  submitted (pending)
    A6  Integrationsprojekte, Landkreis Fulda (entity)  draft (not received)

2027: committed 50,000 + 35,000 + 5,100 = 90,100; paid 20,000; received 5, decided 4, approved 3 (1 partially),
rejected 1, pending 1, approval rate 75 %, median days 25 (IP 15, MO 30, lotsen 45).
2028: committed 5,100 (the second year of A3).
Regierungsbezirke: Gießen (A1, A3) 55,100; Darmstadt (A2) 35,000; Kassel (A4, A5) 0.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from applications import services
from applications.models import Application, CostItem, PlanYear
from applications.workflow import Status
from funding.models import District, LineRule, ProgrammeYear
from funding.services import budget_pay
from tests.factories import (
    OrganisationFactory,
    UserFactory,
    application,
    member,
    partially_approve,
    rule,
    staff,
)

D = Decimal
BASE = timezone.make_aware(datetime.datetime(2027, 2, 1, 9, 0))


def entity(name):
    from applications.models import Organisation

    org = Organisation.objects.get(entity__name=name)
    org.iban, org.account_holder = "DE02500105170137075030", name  # no approval without a bank account
    org.save(update_fields=["iban", "account_holder"])
    return org


def _recommended(app, file_number):
    Application.objects.filter(pk=app.pk).update(status=Status.RECOMMENDED, file_number=file_number,
                                                 submitted_at=BASE)
    app.refresh_from_db()
    return app


def _timed(app, days):
    Application.objects.filter(pk=app.pk).update(submitted_at=BASE, decided_at=BASE + datetime.timedelta(days=days))


def ensure_2028_rule(code="migrantenorganisationen"):
    year, _ = ProgrammeYear.objects.get_or_create(year=2028, defaults={"volume": D("10050000.00")})
    r, _ = LineRule.objects.get_or_create(
        programme_year=year, line=rule(code, 2027).line,
        defaults={"allocation": D("400000.00"), "eligible_kinds": ["migrantenorganisation"],
                  "financing_type": "festbetrag", "cap_per_application": D("10200.00"), "max_months": 24},
    )
    return r


@pytest.fixture
def figures(seeded):
    bw = staff("Bewilligung")
    ensure_2028_rule()
    apps = {}

    a1 = _recommended(application(organisation=entity("Landkreis Gießen"), grant="50000.00", costs="68000.00"),
                      "WIR-2027-IP-0001")
    services.application_decide(application=a1, user=bw, action="approve")
    budget_pay(rule=a1.rule, application=a1, amount=D("20000.00"), user=bw)
    _timed(a1, 10)
    apps["a1"] = a1

    a2 = _recommended(application(organisation=entity("Frankfurt am Main"), grant="50000.00", costs="68000.00"),
                      "WIR-2027-IP-0002")
    partially_approve(a2, bw, "40000.00", "Stelle erst ab März besetzt.")
    # the applicant asks for less (Änderungsantrag): Sachbearbeitung recommends, Bewilligung decides
    from applications.decisions import amendment_decide, amendment_recommend, amendment_request_create

    signer = UserFactory()
    member(signer, a2.organisation)
    amendment = amendment_request_create(application=a2, user=signer, reasons="Stelle später besetzt.",
                                         year_amounts={2027: D("35000.00")})
    amendment_recommend(amendment=amendment, user=staff("Sachbearbeitung"), recommendation="approve")
    amendment_decide(amendment=amendment, user=bw, approve=True)
    _timed(a2, 20)
    apps["a2"] = a2

    mo = OrganisationFactory(name="Verein Brücke e. V.", kind="migrantenorganisation", regierungsbezirk="Gießen",
                             district=District.objects.get(name="Marburg"))
    a3 = application(organisation=mo, code="migrantenorganisationen", grant="5100.00", costs="5100.00")
    CostItem.objects.create(application=a3, year=2028, category="personnel", description="Minijob", amount=D("5100.00"))
    PlanYear.objects.create(application=a3, year=2028, requested_grant=D("5100.00"))
    services.plan_totals_refresh(application=a3)
    a3 = _recommended(a3, "WIR-2027-MO-0001")
    services.application_decide(application=a3, user=bw, action="approve",
                                split={2027: D("5100.00"), 2028: D("5100.00")})
    _timed(a3, 30)
    apps["a3"] = a3

    traeger = OrganisationFactory(name="Lotsenträger Kassel", kind="freier_traeger", regierungsbezirk="Kassel",
                                  district=District.objects.get(name="Kassel"))
    a4 = _recommended(application(organisation=traeger, code="lotsen", grant="5000.00", costs="6000.00"),
                      "WIR-2027-IL-0001")
    services.application_decide(application=a4, user=bw, action="reject", reasons="Kein Pool von Lotsen.")
    _timed(a4, 45)
    apps["a4"] = a4

    # a pool of 5 interpreters in 5 languages, 2.500 assignments for 500 clients: cap 2.500 × 20 € = 50.000 €
    a5 = application(organisation=entity("Landkreis Kassel"), code="laiendolmetscher", grant="50000.00",
                     costs="70000.00", details={"languages": "Arabisch, Dari, Farsi, Türkisch, Ukrainisch",
                                                "interpreters": 5, "clients": 500, "assignments": 2500})
    Application.objects.filter(pk=a5.pk).update(status=Status.SUBMITTED, submitted_at=BASE, file_number="WIR-2027-LD-0001")
    apps["a5"] = a5

    apps["a6"] = application(organisation=entity("Landkreis Fulda"), grant="50000.00", costs="68000.00")
    return apps


@pytest.fixture
def report_user(seeded):
    return staff("Haushalt")
