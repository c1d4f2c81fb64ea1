"""Caps per budget year or per application, and the programme lines from 2026 (funding.linetypes through the one
checker, applications.rules). All figures are computed by hand from the seeded rules:

- Migrantenorganisationen: 3.000 € Mikroprojekt + 7.200 € Minijob = 10.200 € per budget year (cap per year);
- KIV: at most 30.000 € for the whole application (cap per application), 10.000–50.000 inhabitants;
- WIR-Vielfaltszentren: 60.000 € per full-time Koordinationskraft (at most 2), Mitarbeitsstelle ≤ 20.000 €,
  Mikroprojekte ≤ 5.000 € a year; period 2026–2030.
"""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from applications import rules, services
from applications.models import Application, Organisation
from applications.workflow import Status
from funding.models import LedgerEntry, LedgerSource, OrganisationKind
from tests.factories import OrganisationFactory, member, multi_year_application, rule, staff

from .apply.conftest import form_data

pytestmark = pytest.mark.django_db
E = Decimal
MO_DETAILS = {"micro_project": "3000", "minijob": "7200"}


@pytest.fixture
def people(seeded):
    return {"recommender": staff("Sachbearbeitung"), "decider": staff("Bewilligung")}


def cap_messages(app):
    return [p.message for p in rules.plan_problems(application=app) if p.field == "requested_grant"]


# --- per year: a 24-month application at the yearly cap in each year is valid ----------------------------------

def test_24_months_at_the_yearly_cap_in_each_year_is_valid_and_books_two_years(people):
    mo = OrganisationFactory(kind=OrganisationKind.MIGRANTENORGANISATION)
    app = multi_year_application(organisation=mo, code="migrantenorganisationen", year=2027, details=MO_DETAILS,
                                 grants={2027: "10200", 2028: "10200"}, status=Status.RECOMMENDED,
                                 file_number="WIR-2027-MO-9001", recommended_by=people["recommender"])
    assert cap_messages(app) == []  # 20.400 € in total is 10.200 € in each year
    services.application_decide(application=app, user=people["decider"], action="approve")
    rows = sorted((e.rule.programme_year.year, e.source, e.amount) for e in LedgerEntry.objects.filter(application=app))
    # 2027 is enacted: its allocation; 2028 is not: the MO line's VE (150.000 € seeded).
    assert rows == [(2027, LedgerSource.ALLOCATION, E("10200.00")), (2028, LedgerSource.AUTHORITY, E("10200.00"))]


def test_one_cent_over_the_yearly_cap_in_one_year_is_refused_for_that_year(people):
    mo = OrganisationFactory(kind=OrganisationKind.MIGRANTENORGANISATION)
    app = multi_year_application(organisation=mo, code="migrantenorganisationen", year=2027, details=MO_DETAILS,
                                 grants={2027: "10200", 2028: "10200.01"})
    problems = [p for p in rules.plan_problems(application=app) if p.field == "requested_grant"]
    assert [(p.year, p.message.split(" (")[0]) for p in problems] == [
        (2028, "2028: Die beantragte Zuwendung")]
    assert "übersteigt den Höchstbetrag von 10.200,00 € je Jahr" in problems[0].message


def test_portal_form_accepts_24_months_at_10200_a_year_and_refuses_10200_01(client, seeded):
    mo = OrganisationFactory(kind=OrganisationKind.MIGRANTENORGANISATION)
    from tests.factories import UserFactory

    user = UserFactory()
    member(user, mo)
    client.force_login(user)
    details = {"micro_project": "3.000,00", "minijob": "7.200,00"}
    data = form_data(details=details, start="2027-01-01", end="2028-12-31", years=[2027, 2028],
                     costs=[("material", "Mikroprojekt", "10.200,00")], income={"requested_grant": "10.200,00"})
    data.update({"cost-2028-0-category": "personnel", "cost-2028-0-description": "Minijob und Mikroprojekt",
                 "cost-2028-0-amount": "10.200,00", "plan-2028-requested_grant": "10.200,00"})
    response = client.post(reverse("portal:application_new", args=["migrantenorganisationen"]), data)
    assert response.status_code == 302  # saved without a cap problem
    app = Application.objects.get(organisation=mo)
    assert app.requested_amount == E("20400.00")
    data["cost-2028-0-amount"] = data["plan-2028-requested_grant"] = "10.200,01"
    page = client.post(reverse("portal:application_edit", args=[app.pk]), data)
    plan_2028 = next(p for p in page.context["plans"] if p.year == 2028)
    assert "10.200,00 € je Jahr" in plan_2028.income.errors["requested_grant"][0]
    plan_2027 = next(p for p in page.context["plans"] if p.year == 2027)
    assert not plan_2027.income.errors


# --- per application: never exceeded across years -----------------------------------------------------------------

def _gemeinde(inhabitants=25000):
    return OrganisationFactory(kind=OrganisationKind.GEMEINDE, name="Stadt Musterhausen", inhabitants=inhabitants)


def test_a_cap_per_application_counts_all_years(people):
    over = multi_year_application(organisation=_gemeinde(), code="kiv", year=2027,
                                  grants={2027: "20000", 2028: "15000"}, end=datetime.date(2028, 6, 30))
    assert cap_messages(over) == [
        "Die beantragte Zuwendung für 2027–2028 ergibt zusammen 35.000,00 € und übersteigt den Höchstbetrag von "
        "30.000,00 € je Antrag (für alle Jahre zusammen)."]
    at_cap = multi_year_application(organisation=_gemeinde(), code="kiv", year=2027,
                                    grants={2027: "18000", 2028: "12000"}, end=datetime.date(2028, 6, 30))
    assert cap_messages(at_cap) == []


def test_a_decision_can_not_exceed_the_cap_per_application_either(people):
    app = multi_year_application(organisation=_gemeinde(), code="kiv", year=2027,
                                 grants={2027: "20000", 2028: "15000"}, end=datetime.date(2028, 6, 30),
                                 status=Status.RECOMMENDED, file_number="WIR-2027-KV-9001",
                                 recommended_by=people["recommender"])
    with pytest.raises(services.ApplicationError, match="ergibt zusammen 35.000,00 €"):
        services.application_decide(application=app, user=people["decider"], action="approve")
    services.application_decide(application=app, user=people["decider"], action="partially_approve",
                                amount=E("30000"), split={2027: E("18000"), 2028: E("12000")},
                                reasons="Höchstbetrag je Antrag")
    assert LedgerEntry.objects.filter(application=app).count() == 2


def test_the_admin_form_no_longer_says_per_application_for_a_yearly_cap(seeded):
    text = rules.cap_explanation(rule=rule("migrantenorganisationen", 2027), details=MO_DETAILS)
    assert "je Antrag" not in text and "höchstens 10.200,00 € je Jahr" in text


# --- WIR-Vielfaltszentren -------------------------------------------------------------------------------------------

def vz(details, grants=None, **kwargs):
    return multi_year_application(organisation=Organisation.objects.get(name="Hochtaunuskreis"),
                                  code="vielfaltszentren", year=2026, details=details,
                                  grants=grants or {y: "120000" for y in range(2026, 2031)}, **kwargs)


def test_vielfaltszentrum_yearly_cap_from_posts_staff_post_and_micro_projects(seeded):
    details = {"coordination_posts": "1.5", "staff_post": "20000", "micro_projects": "5000",
               "recipients": "Interkultureller Verein Oberursel e. V.; 2.500\nMigrantenbeirat Usingen e. V.; 2.500"}
    # 60.000 × 1,5 + 20.000 + 5.000 = 115.000 € a year
    assert rules.max_grant_for(rule=rule("vielfaltszentren", 2026), details=details) == E("115000.00")
    app = vz(details, grants={y: "115000" for y in range(2026, 2031)})
    assert cap_messages(app) == [] and rules.detail_problems(rule=app.rule, details=details) == []
    app = vz(details, grants={2026: "115000.01", 2027: "115000"})
    assert [p.year for p in rules.plan_problems(application=app) if p.field == "requested_grant"] == [2026]
    # more than two posts count as two: 60.000 × 2 + 20.000 + 5.000 = 145.000 €
    assert rules.max_grant_for(rule=rule("vielfaltszentren", 2026),
                               details={**details, "coordination_posts": "3"}) == E("145000.00")


@pytest.mark.parametrize("details, field, message", [
    ({"coordination_posts": "1", "staff_post": "20000.01"}, "staff_post",
     "Die WIR-Mitarbeitsstelle wird mit höchstens 20.000,00 € je Jahr gefördert."),
    ({"coordination_posts": "1", "micro_projects": "5000.01", "recipients": "Verein; 5.000,01"}, "micro_projects",
     "Mikroprojekte werden mit höchstens 5.000,00 € je Jahr gefördert."),
    ({"coordination_posts": "1", "micro_projects": "4000"}, "recipients",
     "Bitte nennen Sie die gemeinnützigen Träger, an die die Mittel für Mikroprojekte weitergeleitet werden, mit "
     "Betrag."),
    ({"coordination_posts": "1", "micro_projects": "4000", "recipients": "Verein A; 2.500\nVerein B; 1.000"},
     "recipients", "Die Beträge der Weiterleitung ergeben 3.500,00 €, für Mikroprojekte sind 4.000,00 € je Jahr "
                   "angegeben."),
    ({"coordination_posts": "1", "micro_projects": "4000", "recipients": "Verein A 4000"}, "recipients",
     "Zeile 1: Bitte „Name des Trägers; Betrag“ angeben."),
    ({"coordination_posts": "2.5"}, "coordination_posts", "Gefördert werden höchstens 2 Stellen."),
])
def test_vielfaltszentrum_detail_problems_at_the_field(seeded, details, field, message):
    problems = rules.detail_problems(rule=rule("vielfaltszentren", 2026), details=details)
    assert (field, message) in [(p.field, p.message) for p in problems]


def test_vielfaltszentren_only_the_33_and_only_in_the_first_year_of_the_period(seeded):
    r = rule("vielfaltszentren", 2026)
    assert sorted(r.eligible_kinds) == sorted(OrganisationKind.the_33())
    assert "target_agreement" in r.required_attachments  # Zielvereinbarung
    assert Organisation.objects.filter(entity__isnull=False).count() == 33
    later = rule("vielfaltszentren", 2027)
    later.programme_year.is_open = True
    problem = services.application_start_problem(organisation=Organisation.objects.get(name="Hochtaunuskreis"),
                                                 rule=later, today=datetime.date(2026, 11, 1))
    assert problem.startswith("Für „WIR-Vielfaltszentren“ wird ein Antrag für die ganze Förderperiode 2026–2030 "
                              "gestellt")


def test_period_end_after_the_funding_period_is_refused_at_the_field(seeded):
    problems = rules.period_problems(rule=rule("vielfaltszentren", 2026), start=datetime.date(2026, 1, 1),
                                     end=datetime.date(2031, 6, 30))
    assert ("period_end", "Das Ende muss in der Förderperiode 2026–2030 liegen (spätestens 31.12.2030).") in [
        (p.field, p.message) for p in problems]
    assert rules.plan_years_for(rule=rule("vielfaltszentren", 2026), start=datetime.date(2026, 1, 1),
                                end=datetime.date(2030, 12, 31)) == [2026, 2027, 2028, 2029, 2030]


# --- decisions: years outside the plan, per-year amounts that do not add up ----------------------------------------

def test_decision_for_a_year_outside_the_plan_or_amounts_that_do_not_add_up(people):
    app = vz({"coordination_posts": "2", "staff_post": "0"}, status=Status.RECOMMENDED,
             file_number="WIR-2026-VZ-9100", recommended_by=people["recommender"])
    split = {y: E("100000") for y in range(2026, 2031)}
    with pytest.raises(services.ApplicationError) as exc:
        services.application_decide(application=app, user=people["decider"], action="partially_approve",
                                    amount=E("590000"), split={**split, 2026: E("90000"), 2031: E("100000")},
                                    reasons="x")
    assert str(exc.value) == ("Für 2031 enthält der Antrag keinen Finanzierungsplan; bewilligt werden kann nur für "
                              "2026–2030.")
    with pytest.raises(services.ApplicationError) as exc:
        services.application_decide(application=app, user=people["decider"], action="partially_approve",
                                    amount=E("550000"), split=split, reasons="x")
    assert str(exc.value) == "Die Jahresbeträge ergeben 500.000,00 €, bewilligt werden sollen 550.000,00 €."
    with pytest.raises(services.ApplicationError, match="2027: Es können höchstens die für dieses Jahr beantragten"):
        services.application_decide(application=app, user=people["decider"], action="partially_approve",
                                    amount=E("500000"), split={**split, 2026: E("80000"), 2027: E("120000.01")},
                                    reasons="x")
    assert not LedgerEntry.objects.filter(application=app).exists()


# --- who may apply from 2026 -------------------------------------------------------------------------------------

def test_laiendolmetscher_open_to_kommunen_and_vereine(seeded):
    r = rule("laiendolmetscher", 2027)
    for kind in (OrganisationKind.GEMEINDE, OrganisationKind.LANDKREIS, OrganisationKind.FREIER_TRAEGER,
                 OrganisationKind.MIGRANTENORGANISATION):
        assert rules.is_eligible(rule=r, organisation_kind=kind), kind


def test_kommune_applies_for_mo_line_only_with_a_cooperating_mo(seeded):
    gemeinde = _gemeinde()
    r = rule("migrantenorganisationen", 2027)
    assert rules.is_eligible(rule=r, organisation_kind=gemeinde.kind)
    problems = rules.detail_problems(rule=r, details=MO_DETAILS, organisation=gemeinde)
    assert [p.field for p in problems] == ["cooperating_organisation"]
    ok = rules.detail_problems(rule=r, details={**MO_DETAILS, "cooperating_organisation": "Brücke e. V., Kassel"},
                               organisation=gemeinde)
    assert ok == []


@pytest.mark.parametrize("inhabitants, verbund, expected", [
    (25000, "", []),
    (60000, "", [(None, "Gefördert werden Kommunen bis 50.000 Einwohnerinnen und Einwohner; Ihre Kommune hat "
                        "60.000.")]),
    (8000, "", [("verbund", "Kommunen unter 10.000 Einwohnerinnen und Einwohnern beantragen im Verbund: Bitte "
                            "nennen Sie eine oder zwei Partnerkommunen.")]),
    (6000, "Gemeinde Nachbarort; 3.000", [("verbund", "Der Verbund erreicht zusammen 9.000 Einwohnerinnen und "
                                                      "Einwohner (mindestens 10.000).")]),
    (6000, "Gemeinde Nachbarort; 3.000\nGemeinde Talheim; 1500", []),
])
def test_kiv_inhabitants_and_verbund(seeded, inhabitants, verbund, expected):
    problems = rules.detail_problems(rule=rule("kiv", 2027), details={"verbund": verbund},
                                     organisation=_gemeinde(inhabitants))
    assert [(p.field, p.message) for p in problems] == expected
