"""The application form: German amounts, format errors at the field with nothing lost, the funding rules per line
(caps, unit rates, hours), plan balance, period, deadline, eligibility, one per entity, draft save and resume."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from applications import rules
from applications.models import Application
from applications.workflow import Status
from tests.factories import application, rule

from .conftest import VZ_DETAILS, VZ_INCOME, YEAR, form_data

# The posts cap, "only the 33" and "one per entity" through the portal: the Vielfaltszentren in a yearly round.
pytestmark = pytest.mark.usefixtures("centre_round")
NEW_VZ = reverse("portal:application_new", args=["vielfaltszentren"])


def errors_of(response, form_attr, field):
    return [str(e) for e in response.context[form_attr].errors.get(field, [])]


def plan_of(response, year=YEAR):
    return next(p for p in response.context["plans"] if p.year == year)


def post_new(client, user, code, data):
    client.force_login(user)
    return client.post(reverse("portal:application_new", args=[code]), data)


def test_create_with_german_amounts_and_resume(client, owner, entity):
    response = post_new(client, owner, "vielfaltszentren",
                        form_data(details=VZ_DETAILS, income=VZ_INCOME))
    app = Application.objects.get(organisation=entity)
    assert response.status_code == 302 and response["Location"] == reverse("portal:application_edit", args=[app.pk])
    assert app.status == Status.DRAFT and app.created_by == owner
    assert app.details == {"coordination_posts": "1.0", "pay_group": "E 11"}
    assert app.total_costs == Decimal("68000.00") and app.requested_amount == Decimal("60000.00")
    plan = app.plan_years.get()
    assert (plan.year, plan.own_funds, plan.requested_grant) == (YEAR, Decimal("8000.00"), Decimal("60000.00"))
    # Resume: the edit page shows what was saved, amounts the German way.
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="68.000,00"' in html and 'value="60.000,00"' in html and 'value="1,0"' in html
    assert app.events.filter(action="create").count() == 1


@pytest.mark.parametrize("typed, expected", [("1.234", "1234.00"), ("1234,5", "1234.50"), ("1234.56", "1234.56"),
                                             ("1 234,56 €", "1234.56")])
def test_amount_formats_accepted(client, owner, entity, typed, expected):
    data = form_data(details=VZ_DETAILS, costs=[("material", "Material", typed)],
                     income={"requested_grant": typed})
    post_new(client, owner, "vielfaltszentren", data)
    assert Application.objects.get().cost_items.get().amount == Decimal(expected)


@pytest.mark.parametrize("typed, message", [
    ("12,3456", "höchstens zwei Nachkommastellen"),
    ("12,345", "mehrdeutig"),
    ("-5,00", "nicht negativ"),
    ("0", "größer als 0"),
    ("zwölf", "Betrag in Euro"),
])
def test_bad_amount_message_at_field_nothing_lost(client, owner, entity, typed, message):
    data = form_data(title="Mein getippter Titel", details=VZ_DETAILS, costs=[("material", "Material", typed)],
                     income=VZ_INCOME)
    response = post_new(client, owner, "vielfaltszentren", data)
    assert response.status_code == 200
    assert not Application.objects.exists()  # nothing stored ...
    row = plan_of(response).costs.forms[0]
    assert any(message in e for e in row.errors["amount"])
    html = response.content.decode()
    assert 'value="Mein getippter Titel"' in html and f'value="{typed}"' in html  # ... and nothing lost
    assert 'aria-describedby="id_cost-2027-0-amount_error"' in html
    assert 'href="#id_cost-2027-0-amount"' in html  # error summary links to the field


def test_unreal_date_refused(client, owner, entity):
    response = post_new(client, owner, "vielfaltszentren", form_data(start="2027-02-30", details=VZ_DETAILS))
    assert response.status_code == 200 and not Application.objects.exists()
    assert "gültiges Datum" in errors_of(response, "form", "period_start")[0]


def test_incomplete_cost_row_named_at_the_field(client, owner, entity):
    response = post_new(client, owner, "vielfaltszentren",
                        form_data(details=VZ_DETAILS, costs=[("", "", "100,00")]))
    row = plan_of(response).costs.forms[0]
    assert "Kostenart" in row.errors["category"][0] and "beschreiben" in row.errors["description"][0]


def _save(client, owner, entity, code, **kwargs):
    """Create a draft via the form; rule problems send the browser to the edit page that shows them."""
    client.force_login(owner)
    response = client.post(reverse("portal:application_new", args=[code]), form_data(**kwargs))
    assert response.status_code == 302, response.content.decode()[:2000]
    follow = client.get(response["Location"])
    return Application.objects.get(organisation=entity, rule__line__code=code), follow


def test_vielfaltszentren_cap_60000_per_post(client, owner, entity):
    app, page = _save(client, owner, entity, "vielfaltszentren", details=VZ_DETAILS,
                      income={"own_funds": "7.999,99", "requested_grant": "60.000,01"})
    assert app.requested_amount == Decimal("60000.01")  # the draft is kept ...
    errors = plan_of(page).income.errors["requested_grant"]
    assert "60.000,00 €" in errors[0] and "je Vollzeitstelle × 1,0 Stellen" in errors[0]  # ... the error at the field
    assert "Ihr Entwurf wurde gespeichert" in page.content.decode()


def test_vielfaltszentren_half_post_halves_cap(client, owner, entity):
    # 0,5 × 60.000 € = 30.000 €; 35.000 € asked
    _, page = _save(client, owner, entity, "vielfaltszentren", details={**VZ_DETAILS, "coordination_posts": "0,5"},
                    income={"own_funds": "33.000,00", "requested_grant": "35.000,00"})
    assert "30.000,00 €" in plan_of(page).income.errors["requested_grant"][0]


def test_vielfaltszentren_more_than_two_posts(client, owner, entity):
    _, page = _save(client, owner, entity, "vielfaltszentren", details={**VZ_DETAILS, "coordination_posts": "2,5"},
                    income=VZ_INCOME)
    assert "höchstens 2" in errors_of(page, "details_form", "coordination_posts")[0]


def test_vielfaltszentren_within_cap_no_error(client, owner, entity):
    response = post_new(client, owner, "vielfaltszentren", form_data(details=VZ_DETAILS, income=VZ_INCOME))
    assert response["Location"].endswith("/bearbeiten/")  # no ?pruefen: nothing to show


def test_lotsen_hours_and_rate(client, traeger_user, traeger):
    details = {"coordinating_lotsen": "1", "other_lotsen": "1", "hours": "700", "qualification_courses": ""}
    _, page = _save(client, traeger_user, traeger, "lotsen", details=details,
                    costs=[("allowances", "Aufwandsentschädigung", "3.500,00")], income={"requested_grant": "3.500,00"})
    assert "Höchstens 690 Stunden" in errors_of(page, "details_form", "hours")[0]  # 414 + 276
    grant_error = plan_of(page).income.errors["requested_grant"][0]
    assert "3.450,00 €" in grant_error and "5,00 € je Stunde" in grant_error  # 690 h × 5 €


def test_lotsen_within_limits(client, traeger_user, traeger):
    details = {"coordinating_lotsen": "1", "other_lotsen": "1", "hours": "690"}
    response = post_new(client, traeger_user, "lotsen",
                        form_data(details=details, costs=[("allowances", "AE", "3.450,00")],
                                  income={"requested_grant": "3.450,00"}))
    assert "pruefen" not in response["Location"]


def test_mitsprache_unit_rate_and_course_cap(traeger):
    """MitSprache is a historic line (until 2025, no round in the open year): its unit rates are checked by the one
    checker for its years. 2 courses × 300 UE × 40 € = 24.000 € (the per-course cap of 12.000 € is not exceeded)."""
    r = rule("mitsprache", 2025)
    details = {"courses": "2", "units_per_course": "300", "childcare_units": "0"}
    error = rules.grant_cap_problems(rule=r, details=details, organisation=traeger,
                                     amounts={2025: Decimal("24000.01")})[0].message
    assert "24.000,00 €" in error and "40,00 € je Unterrichtseinheit" in error and "12.000,00 € je Kurs" in error
    assert not rules.grant_cap_problems(rule=r, details=details, organisation=traeger,
                                        amounts={2025: Decimal("24000.00")})


def test_mitsprache_course_cap_binds_below_unit_rate(traeger):
    # 1 course × 301 UE × 40 € = 12.040 €; the per-course cap of 12.000 € binds; 301 UE are refused.
    r = rule("mitsprache", 2025)
    details = {"courses": "1", "units_per_course": "301"}
    assert "Höchstens 300 Unterrichtseinheiten" in [
        p.message for p in rules.detail_problems(rule=r, details=details) if p.field == "units_per_course"][0]
    error = rules.grant_cap_problems(rule=r, details=details, organisation=traeger,
                                     amounts={2025: Decimal("12040.00")})[0].message
    assert "12.000,00 €" in error


def test_migrantenorganisation_10200(client, mo_user, mo):
    details = {"micro_project": "3.500,00", "minijob": "7.200,00"}
    _, page = _save(client, mo_user, mo, "migrantenorganisationen", details=details,
                    costs=[("material", "Mikroprojekt", "10.700,00")], income={"requested_grant": "10.700,00"})
    assert "3.000,00 €" in errors_of(page, "details_form", "micro_project")[0]
    assert "10.700,00 €" in plan_of(page).income.errors["requested_grant"][0]
    ok = form_data(details={"micro_project": "3.000,00", "minijob": "7.200,00"},
                   costs=[("material", "Mikroprojekt", "10.200,01")], income={"requested_grant": "10.200,01"})
    app = Application.objects.get()
    page = client.post(reverse("portal:application_edit", args=[app.pk]), ok)
    assert page.status_code == 200
    assert "10.200,00 €" in plan_of(page).income.errors["requested_grant"][0]


def test_plan_must_balance(client, owner, entity):
    # 68.000 € costs − (10.000 € + 50.000 €) = 8.000 € missing
    _, page = _save(client, owner, entity, "vielfaltszentren", details=VZ_DETAILS,
                    income={"own_funds": "10.000,00", "requested_grant": "50.000,00"})
    plan = plan_of(page)
    assert "fehlen 8.000,00 €" in plan.errors[0]
    assert 'href="#plan-2027"' in page.content.decode()


def test_period_must_lie_in_programme_year(client, owner, entity):
    _, page = _save(client, owner, entity, "vielfaltszentren", details=VZ_DETAILS, income=VZ_INCOME,
                    start="2026-12-01", end="2027-06-30")
    assert "Programmjahr 2027" in errors_of(page, "form", "period_start")[0]
    app = Application.objects.get()
    response = client.post(reverse("portal:application_edit", args=[app.pk]),
                           form_data(details=VZ_DETAILS, income=VZ_INCOME, start="2027-06-01", end="2027-05-01"))
    assert "nicht vor dem Beginn" in errors_of(response, "form", "period_end")[0]


def test_deadline_passed_not_offered_and_refused(client, owner, entity):
    r = rule("vielfaltszentren")
    r.deadline = datetime.date.today() - datetime.timedelta(days=1)
    r.save()
    client.force_login(owner)
    response = client.get(NEW_VZ)
    assert response.status_code == 403 and "Antragsfrist" in response.content.decode()
    assert client.post(NEW_VZ, form_data(details=VZ_DETAILS)).status_code == 403
    assert not Application.objects.exists()
    dashboard = client.get(reverse("portal:dashboard"))
    item = next(i for i in dashboard.context["lines"] if i["rule"].pk == r.pk)
    assert item["deadline_passed"] and not item["can_start"]
    assert NEW_VZ not in dashboard.content.decode()


def test_traeger_cannot_apply_for_vielfaltszentren(client, traeger_user, traeger):
    client.force_login(traeger_user)
    dashboard = client.get(reverse("portal:dashboard"))
    codes = {i["rule"].line.code for i in dashboard.context["lines"]}
    assert "vielfaltszentren" not in codes and "lotsen" in codes
    assert NEW_VZ not in dashboard.content.decode()
    response = client.post(NEW_VZ, form_data(details=VZ_DETAILS))
    assert response.status_code == 403 and "nicht antragsberechtigt" in response.content.decode()
    assert not Application.objects.exists()


def test_one_application_per_entity_and_year(client, owner, entity):
    existing = application(organisation=entity, code="vielfaltszentren")
    client.force_login(owner)
    response = client.get(NEW_VZ)
    assert response.status_code == 403 and "nur ein Antrag je Organisation" in response.content.decode()
    existing.status = Status.WITHDRAWN
    existing.save()
    assert client.get(NEW_VZ).status_code == 200  # a withdrawn one does not count


def test_draft_may_be_incomplete_and_resumed(client, colleague, entity):
    """A member (not a signatory) saves a bare draft; the submit page lists what is missing, with links."""
    data = form_data(title="Erst mal nur der Titel", start="", end="", costs=[], details={})
    data["purpose"] = ""
    response = post_new(client, colleague, "vielfaltszentren", data)
    app = Application.objects.get()
    assert response.status_code == 302 and app.title == "Erst mal nur der Titel"
    page = client.get(reverse("portal:application_submit", args=[app.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Zweck und Konzeption" in html and f'href="/portal/antraege/{app.pk}/bearbeiten/#id_purpose"' in html
    assert "Stellenbeschreibung" in html and f"/portal/antraege/{app.pk}/anlagen/" in html
    assert "Kosten- und Finanzierungsplan" in html


def test_title_required_even_for_draft(client, owner, entity):
    response = post_new(client, owner, "vielfaltszentren", form_data(title=""))
    assert response.status_code == 200 and "Titel" in errors_of(response, "form", "title")[0]


def test_edit_after_submission_is_refused(client, owner, entity):
    app = application(organisation=entity, status=Status.SUBMITTED)
    client.force_login(owner)
    response = client.post(reverse("portal:application_edit", args=[app.pk]), form_data(title="Neu"))
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.title == "Testvorhaben"


def test_multi_year_line_gets_one_plan_per_budget_year(client, mo_user, mo):
    details = {"micro_project": "3.000,00", "minijob": "7.200,00"}
    data = form_data(details=details, start="2027-01-01", end="2028-12-31",
                     costs=[("material", "Mikroprojekt", "10.200,00")], income={"requested_grant": "10.200,00"})
    response = post_new(client, mo_user, "migrantenorganisationen", data)
    page = client.get(response["Location"])
    assert [p.year for p in page.context["plans"]] == [2027, 2028]
    app = Application.objects.get()
    assert [p.year for p in app.plan_years.all()] == [2027]  # the empty 2028 block is not stored
    data = form_data(details=details, start="2027-01-01", end="2028-12-31", years=[2027, 2028],
                     costs=[("material", "Mikroprojekt", "10.200,00")], income={"requested_grant": "10.200,00"})
    data.update({"cost-2028-0-category": "personnel", "cost-2028-0-description": "Minijob",
                 "cost-2028-0-amount": "7.200,00", "plan-2028-requested_grant": "7.200,00"})
    assert client.post(reverse("portal:application_edit", args=[app.pk]), data).status_code == 302
    assert [(p.year, p.requested_grant) for p in app.plan_years.all()] == [
        (2027, Decimal("10200.00")), (2028, Decimal("7200.00"))]
    assert app.cost_items.filter(year=2028).get().description == "Minijob"


def test_more_cost_rows_without_javascript(client, owner, entity):
    response = post_new(client, owner, "vielfaltszentren", form_data(details=VZ_DETAILS, income=VZ_INCOME))
    app = Application.objects.get()
    response = client.post(reverse("portal:application_edit", args=[app.pk]),
                           form_data(details=VZ_DETAILS, income=VZ_INCOME, action="rows"))
    assert response.status_code == 302 and "zeilen=6" in response["Location"]
    page = client.get(response["Location"])
    assert len(plan_of(page).costs.forms) == 1 + 6
