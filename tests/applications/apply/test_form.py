"""The application form: German amounts, format errors at the field with nothing lost, the funding rules per line
(caps, unit rates, hours), plan balance, period, deadline, eligibility, one per entity, draft save and resume."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from applications.models import Application
from applications.workflow import Status
from tests.factories import application, rule

from .conftest import FM_DETAILS, FM_INCOME, YEAR, form_data

NEW_FM = reverse("portal:application_new", args=["fallmanagement"])


def errors_of(response, form_attr, field):
    return [str(e) for e in response.context[form_attr].errors.get(field, [])]


def plan_of(response, year=YEAR):
    return next(p for p in response.context["plans"] if p.year == year)


def post_new(client, user, code, data):
    client.force_login(user)
    return client.post(reverse("portal:application_new", args=[code]), data)


def test_create_with_german_amounts_and_resume(client, owner, entity):
    response = post_new(client, owner, "fallmanagement",
                        form_data(details=FM_DETAILS, income=FM_INCOME))
    app = Application.objects.get(organisation=entity)
    assert response.status_code == 302 and response["Location"] == reverse("portal:application_edit", args=[app.pk])
    assert app.status == Status.DRAFT and app.created_by == owner
    assert app.details == {"posts": "1.0", "pay_group": "S 12", "start_date": f"{YEAR}-01-01"}
    assert app.total_costs == Decimal("68000.00") and app.requested_amount == Decimal("50000.00")
    plan = app.plan_years.get()
    assert (plan.year, plan.own_funds, plan.requested_grant) == (YEAR, Decimal("18000.00"), Decimal("50000.00"))
    # Resume: the edit page shows what was saved, amounts the German way.
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="68.000,00"' in html and 'value="50.000,00"' in html and 'value="1,0"' in html
    assert app.events.filter(action="create").count() == 1


@pytest.mark.parametrize("typed, expected", [("1.234", "1234.00"), ("1234,5", "1234.50"), ("1234.56", "1234.56"),
                                             ("1 234,56 €", "1234.56")])
def test_amount_formats_accepted(client, owner, entity, typed, expected):
    data = form_data(details=FM_DETAILS, costs=[("material", "Material", typed)],
                     income={"requested_grant": typed})
    post_new(client, owner, "fallmanagement", data)
    assert Application.objects.get().cost_items.get().amount == Decimal(expected)


@pytest.mark.parametrize("typed, message", [
    ("12,3456", "höchstens zwei Nachkommastellen"),
    ("12,345", "mehrdeutig"),
    ("-5,00", "nicht negativ"),
    ("0", "größer als 0"),
    ("zwölf", "Betrag in Euro"),
])
def test_bad_amount_message_at_field_nothing_lost(client, owner, entity, typed, message):
    data = form_data(title="Mein getippter Titel", details=FM_DETAILS, costs=[("material", "Material", typed)],
                     income=FM_INCOME)
    response = post_new(client, owner, "fallmanagement", data)
    assert response.status_code == 200
    assert not Application.objects.exists()  # nothing stored ...
    row = plan_of(response).costs.forms[0]
    assert any(message in e for e in row.errors["amount"])
    html = response.content.decode()
    assert 'value="Mein getippter Titel"' in html and f'value="{typed}"' in html  # ... and nothing lost
    assert 'aria-describedby="id_cost-2027-0-amount_error"' in html
    assert 'href="#id_cost-2027-0-amount"' in html  # error summary links to the field


def test_unreal_date_refused(client, owner, entity):
    response = post_new(client, owner, "fallmanagement", form_data(start="2027-02-30", details=FM_DETAILS))
    assert response.status_code == 200 and not Application.objects.exists()
    assert "gültiges Datum" in errors_of(response, "form", "period_start")[0]


def test_incomplete_cost_row_named_at_the_field(client, owner, entity):
    response = post_new(client, owner, "fallmanagement",
                        form_data(details=FM_DETAILS, costs=[("", "", "100,00")]))
    row = plan_of(response).costs.forms[0]
    assert "Kostenart" in row.errors["category"][0] and "beschreiben" in row.errors["description"][0]


def _save(client, owner, entity, code, **kwargs):
    """Create a draft via the form; rule problems send the browser to the edit page that shows them."""
    client.force_login(owner)
    response = client.post(reverse("portal:application_new", args=[code]), form_data(**kwargs))
    assert response.status_code == 302, response.content.decode()[:2000]
    follow = client.get(response["Location"])
    return Application.objects.get(organisation=entity, rule__line__code=code), follow


def test_fallmanagement_cap_50000_per_post(client, owner, entity):
    app, page = _save(client, owner, entity, "fallmanagement", details=FM_DETAILS,
                      income={"own_funds": "17.999,99", "requested_grant": "50.000,01"})
    assert app.requested_amount == Decimal("50000.01")  # the draft is kept ...
    errors = plan_of(page).income.errors["requested_grant"]
    assert "50.000,00 €" in errors[0] and "je Vollzeitstelle × 1,0 Stellen" in errors[0]  # ... the error at the field
    assert "Ihr Entwurf wurde gespeichert" in page.content.decode()


def test_fallmanagement_half_post_halves_cap(client, owner, entity):
    _, page = _save(client, owner, entity, "fallmanagement", details={**FM_DETAILS, "posts": "0,5"},
                    income={"own_funds": "38.000,00", "requested_grant": "30.000,00"})
    assert "25.000,00 €" in plan_of(page).income.errors["requested_grant"][0]


def test_fallmanagement_more_than_one_post(client, owner, entity):
    _, page = _save(client, owner, entity, "fallmanagement", details={**FM_DETAILS, "posts": "1,5"},
                    income=FM_INCOME)
    assert "höchstens 1" in errors_of(page, "details_form", "posts")[0]


def test_fallmanagement_within_cap_no_error(client, owner, entity):
    response = post_new(client, owner, "fallmanagement", form_data(details=FM_DETAILS, income=FM_INCOME))
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


def test_mitsprache_unit_rate_and_course_cap(client, traeger_user, traeger):
    details = {"courses": "2", "units_per_course": "300", "childcare_units": "0", "location": "Kassel",
               "cooperating_municipality": "Stadt Kassel"}
    _, page = _save(client, traeger_user, traeger, "mitsprache", details=details,
                    costs=[("fees", "Lehrkräfte", "24.000,01")], income={"requested_grant": "24.000,01"})
    error = plan_of(page).income.errors["requested_grant"][0]
    assert "24.000,00 €" in error and "40,00 € je Unterrichtseinheit" in error and "12.000,00 € je Kurs" in error


def test_mitsprache_course_cap_binds_below_unit_rate(client, traeger_user, traeger):
    # 1 course × 300 UE × 40 € = 12,000 €; the per-course cap of 12,000 € binds; 301 UE are refused.
    details = {"courses": "1", "units_per_course": "301"}
    _, page = _save(client, traeger_user, traeger, "mitsprache", details=details,
                    costs=[("fees", "Lehrkräfte", "12.040,00")], income={"requested_grant": "12.040,00"})
    assert "Höchstens 300 Unterrichtseinheiten" in errors_of(page, "details_form", "units_per_course")[0]
    assert "12.000,00 €" in plan_of(page).income.errors["requested_grant"][0]


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
    _, page = _save(client, owner, entity, "fallmanagement", details=FM_DETAILS,
                    income={"own_funds": "10.000,00", "requested_grant": "50.000,00"})
    plan = plan_of(page)
    assert "fehlen 8.000,00 €" in plan.errors[0]
    assert 'href="#plan-2027"' in page.content.decode()


def test_period_must_lie_in_programme_year(client, owner, entity):
    _, page = _save(client, owner, entity, "fallmanagement", details=FM_DETAILS, income=FM_INCOME,
                    start="2026-12-01", end="2027-06-30")
    assert "Programmjahr 2027" in errors_of(page, "form", "period_start")[0]
    app = Application.objects.get()
    response = client.post(reverse("portal:application_edit", args=[app.pk]),
                           form_data(details=FM_DETAILS, income=FM_INCOME, start="2027-06-01", end="2027-05-01"))
    assert "nicht vor dem Beginn" in errors_of(response, "form", "period_end")[0]


def test_deadline_passed_not_offered_and_refused(client, owner, entity):
    r = rule("fallmanagement")
    r.deadline = datetime.date.today() - datetime.timedelta(days=1)
    r.save()
    client.force_login(owner)
    response = client.get(NEW_FM)
    assert response.status_code == 403 and "Antragsfrist" in response.content.decode()
    assert client.post(NEW_FM, form_data(details=FM_DETAILS)).status_code == 403
    assert not Application.objects.exists()
    dashboard = client.get(reverse("portal:dashboard"))
    item = next(i for i in dashboard.context["lines"] if i["rule"].pk == r.pk)
    assert item["deadline_passed"] and not item["can_start"]
    assert NEW_FM not in dashboard.content.decode()


def test_traeger_cannot_apply_for_fallmanagement(client, traeger_user, traeger):
    client.force_login(traeger_user)
    dashboard = client.get(reverse("portal:dashboard"))
    codes = {i["rule"].line.code for i in dashboard.context["lines"]}
    assert "fallmanagement" not in codes and "koordination" not in codes and "lotsen" in codes
    assert NEW_FM not in dashboard.content.decode()
    response = client.post(NEW_FM, form_data(details=FM_DETAILS))
    assert response.status_code == 403 and "nicht antragsberechtigt" in response.content.decode()
    assert not Application.objects.exists()


def test_one_application_per_entity_and_year(client, owner, entity):
    existing = application(organisation=entity, code="fallmanagement")
    client.force_login(owner)
    response = client.get(NEW_FM)
    assert response.status_code == 403 and "nur ein Antrag je Organisation" in response.content.decode()
    existing.status = Status.WITHDRAWN
    existing.save()
    assert client.get(NEW_FM).status_code == 200  # a withdrawn one does not count


def test_draft_may_be_incomplete_and_resumed(client, colleague, entity):
    """A member (not a signatory) saves a bare draft; the submit page lists what is missing, with links."""
    data = form_data(title="Erst mal nur der Titel", start="", end="", costs=[], details={})
    data["purpose"] = ""
    response = post_new(client, colleague, "fallmanagement", data)
    app = Application.objects.get()
    assert response.status_code == 302 and app.title == "Erst mal nur der Titel"
    page = client.get(reverse("portal:application_submit", args=[app.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Zweck und Konzeption" in html and f'href="/portal/antraege/{app.pk}/bearbeiten/#id_purpose"' in html
    assert "Stellenbeschreibung" in html and f"/portal/antraege/{app.pk}/anlagen/" in html
    assert "Kosten- und Finanzierungsplan" in html


def test_title_required_even_for_draft(client, owner, entity):
    response = post_new(client, owner, "fallmanagement", form_data(title=""))
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
    response = post_new(client, owner, "fallmanagement", form_data(details=FM_DETAILS, income=FM_INCOME))
    app = Application.objects.get()
    response = client.post(reverse("portal:application_edit", args=[app.pk]),
                           form_data(details=FM_DETAILS, income=FM_INCOME, action="rows"))
    assert response.status_code == 302 and "zeilen=6" in response["Location"]
    page = client.get(response["Location"])
    assert len(plan_of(page).costs.forms) == 1 + 6
