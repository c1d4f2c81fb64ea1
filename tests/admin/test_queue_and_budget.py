"""The work queue (filters, search, constant query count), the funding admin, the budget overview, the roles."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from applications.roles import GROUP_PERMISSIONS
from applications.workflow import Status
from funding.models import LedgerEntry, LineRule, ProgrammeYear
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:applications_application_changelist"


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def _bulk_apps(make_app, n):
    org = OrganisationFactory(kind="landkreis")
    return [make_app(Status.SUBMITTED, org=org) for _ in range(n)]


@pytest.mark.parametrize("query", ["", "?status=submitted", "?q=WIR-2027", "?q=Landkreis", "?wartezeit=lt2",
                                   "?organisation__regierungsbezirk__exact=Darmstadt"])
def test_changelist_query_count_does_not_grow_with_rows(client_for, make_app, query):
    c = client_for("bewilligung")
    url = reverse(CHANGELIST) + query
    _bulk_apps(make_app, 5)
    few = _queries(c, url)
    _bulk_apps(make_app, 45)
    many = _queries(c, url)
    assert many == few, (few, many)
    assert few <= 16  # session, user, groups/perms, filters' choices (years, lines, districts), count, rows


def test_changelist_columns_and_no_drafts(client_for, make_app):
    app = make_app(Status.RECOMMENDED)
    Application.objects.filter(pk=app.pk).update(submitted_at=timezone.now() - datetime.timedelta(days=20))
    draft = make_app(Status.DRAFT)
    html = client_for("sachbearbeitung").get(reverse(CHANGELIST)).content.decode()
    assert app.file_number in html and draft.file_number not in html
    assert "50.000,00 €" in html and ">20<" in html and "Votum erteilt" in html
    assert ">2027<" in html  # the year without a thousands separator


def test_filters(client_for, make_app):
    old = make_app(Status.IN_REVIEW)
    mid = make_app(Status.SUBMITTED)
    new = make_app(Status.SUBMITTED)
    decided = make_app(Status.APPROVED)
    now = timezone.now()
    for app, days in ((old, 50), (mid, 20), (new, 3), (decided, 60)):
        Application.objects.filter(pk=app.pk).update(submitted_at=now - datetime.timedelta(days=days))
    c = client_for("sachbearbeitung")

    def found(**params):
        r = c.get(reverse(CHANGELIST), params)
        assert r.status_code == 200
        return {obj.pk for obj in r.context["cl"].result_list}

    assert found(wartezeit="gt6") == {old.pk}  # decided applications no longer wait
    assert found(wartezeit="2to6") == {mid.pk}
    assert found(wartezeit="lt2") == {new.pk}
    assert found(status="approved") == {decided.pk}
    year = ProgrammeYear.objects.get(year=2027)
    assert found(rule__programme_year__id__exact=year.pk) == {old.pk, mid.pk, new.pk, decided.pk}
    assert found(rule__line__id__exact=old.rule.line_id) == {old.pk, mid.pk, new.pk, decided.pk}
    assert found(organisation__kind__exact="migrantenorganisation") == set()
    assert found(organisation__regierungsbezirk__exact="Darmstadt") == {old.pk, mid.pk, new.pk, decided.pk}


# --- Roles ------------------------------------------------------------------------------------------------------------

def test_group_permissions_match_the_issue():
    sb, bw, hh = (set(GROUP_PERMISSIONS[g]) for g in ("Sachbearbeitung", "Bewilligung", "Haushalt"))
    assert "applications.review_application" in sb and "applications.decide_application" not in sb
    assert "applications.decide_application" in bw and "applications.review_application" not in bw
    assert not {"applications.review_application", "applications.decide_application"} & hh
    assert {"funding.change_programmeyear", "funding.change_linerule", "applications.view_budget"} <= hh
    assert "applications.view_budget" not in sb
    for perms in (sb, bw, hh):
        assert not {p for p in perms if p.startswith("funding.") and p.endswith("_ledgerentry") and "view" not in p}
        assert "applications.change_application" not in perms and "applications.delete_application" not in perms


@pytest.mark.parametrize(("role", "status"), [
    ("haushalt", 200), ("bewilligung", 200), ("superuser", 200), ("sachbearbeitung", 403), ("nogroup", 403),
])
def test_budget_overview_access(client_for, role, status):
    assert client_for(role).get(reverse("admin:funding_budget_overview")).status_code == status


def test_budget_overview_figures_and_fixed_query_count(client_for, make_app, users):
    from applications.services import application_decide

    c = client_for("haushalt")
    url = reverse("admin:funding_budget_overview")
    first = _queries(c, url)
    for _ in range(3):
        app = make_app(Status.RECOMMENDED)
        application_decide(application=app, user=users["bewilligung"], action="approve")
    assert _queries(c, url) == first
    assert first <= 10
    html = c.get(url, {"jahr": "2027"}).content.decode()
    assert "Programmjahr 2027" in html and "Programmjahr 2026" not in html
    assert "150.000,00 €" in html  # committed in case management 2027
    assert "10.050.000,00 €" in html  # the programme volume


def test_haushalt_edits_allocations_but_sees_no_decisions(client_for, make_app):
    app = make_app(Status.RECOMMENDED)
    c = client_for("haushalt")
    index = c.get(reverse("admin:index")).content.decode()
    assert reverse("admin:funding_linerule_changelist") in index
    # Haushalt keeps the organisations' bank accounts (issue 16: not Sachbearbeitung; four eyes after payments)
    assert reverse("admin:applications_organisation_changelist") in index
    html = c.get(reverse("admin:applications_application_change", args=[app.pk])).content.decode()
    assert "/aktion/" not in html


# --- Funding admin ------------------------------------------------------------------------------------------------------

def _rule_post_data(r: LineRule, **changes) -> dict:
    data = {
        "allocation": str(r.allocation), "financing_type": r.financing_type, "funding_rate": "",
        "deadline": r.deadline.isoformat() if r.deadline else "", "eligible_kinds": r.eligible_kinds,
        "required_attachments": r.required_attachments, "one_per_organisation": "on" if r.one_per_organisation else "",
        "conditions": r.conditions, "payment_retention_percent": str(r.payment_retention_percent),
    }
    for name in ("cap_per_application", "cap_per_post", "max_posts", "cap_per_course", "unit_rate",
                 "max_units_per_course", "childcare_rate", "hourly_rate", "max_hours_coordinating", "max_hours_other",
                 "flat_rate", "max_months"):
        value = getattr(r, name)
        data[name] = "" if value is None else str(value)
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_allocation_over_volume_is_a_form_error(client_for, seeded):
    r = LineRule.objects.select_related("programme_year", "line").get(line__code="integrationsprojekte", programme_year__year=2027)
    url = reverse("admin:funding_linerule_change", args=[r.pk])
    c = client_for("haushalt")
    response = c.post(url, _rule_post_data(r, allocation=str(r.programme_year.volume)))
    assert response.status_code == 200
    assert "Programmvolumen" in response.content.decode()
    assert LineRule.objects.get(pk=r.pk).allocation == r.allocation
    response = c.post(url, _rule_post_data(r, allocation=str(r.allocation + 1000)))
    assert response.status_code == 302
    assert LineRule.objects.get(pk=r.pk).allocation == r.allocation + 1000


def test_volume_below_allocations_is_a_form_error(client_for, seeded):
    year = ProgrammeYear.objects.get(year=2027)
    url = reverse("admin:funding_programmeyear_change", args=[year.pk])
    response = client_for("haushalt").post(url, {"year": 2027, "volume": "1000", "is_open": "on", "notes": "",
                                                 "rules-TOTAL_FORMS": 0, "rules-INITIAL_FORMS": 0})
    assert response.status_code == 200 and "Mittelansätze" in response.content.decode()
    year.refresh_from_db()
    assert year.volume > Decimal("1000")


def test_ledger_is_read_only_for_everyone(client_for, make_app, users):
    from applications.services import application_decide

    app = make_app(Status.RECOMMENDED)
    application_decide(application=app, user=users["bewilligung"], action="approve")
    entry = LedgerEntry.objects.get(application=app)
    c = client_for("superuser")
    assert c.get(reverse("admin:funding_ledgerentry_changelist")).status_code == 200
    assert c.get(reverse("admin:funding_ledgerentry_add")).status_code == 403
    change = reverse("admin:funding_ledgerentry_change", args=[entry.pk])
    assert c.get(change).status_code == 200
    assert c.post(change, {"amount": "1"}).status_code == 403
    assert c.post(reverse("admin:funding_ledgerentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    assert LedgerEntry.objects.get(pk=entry.pk).amount == Decimal("50000.00")


def test_district_court_and_population_editable(client_for, seeded):
    from funding.models import AdministrativeCourt, District

    d = District.objects.get(name="Marburg")
    court = AdministrativeCourt.objects.get(name__icontains="Gießen")
    r = client_for("haushalt").post(reverse("admin:funding_district_change", args=[d.pk]),
                                    {"court": court.pk, "population": "77000", "name": "Hacked"})
    assert r.status_code == 302
    d.refresh_from_db()
    assert d.population == 77000 and d.court == court and d.name == "Marburg"


def test_organisation_verify_action(client_for, seeded):
    org = OrganisationFactory(verified_at=None, name="Neuer Verein e. V.")
    url = reverse("admin:applications_organisation_changelist")
    c = client_for("sachbearbeitung")
    assert "Neuer Verein" in c.get(url, {"geprueft": "nein"}).content.decode()
    r = c.post(url, {"action": "verify", "_selected_action": [org.pk]}, follow=True)
    assert r.status_code == 200
    org.refresh_from_db()
    assert org.verified_at is not None
    assert "Neuer Verein" not in c.get(url, {"geprueft": "nein"}).content.decode()


def test_budget_error_from_the_locked_recheck_is_a_message(client_for, seeded, monkeypatch):
    """If a concurrent edit slips past the form's check, the service's locked re-check refuses: message, no 500."""
    from django import forms

    from funding.admin import LineRuleForm

    monkeypatch.setattr(LineRuleForm, "clean", lambda self: forms.ModelForm.clean(self))
    r = LineRule.objects.select_related("programme_year", "line").get(line__code="integrationsprojekte", programme_year__year=2027)
    url = reverse("admin:funding_linerule_change", args=[r.pk])
    response = client_for("haushalt").post(url, _rule_post_data(r, allocation=str(r.programme_year.volume)), follow=True)
    assert response.status_code == 200
    assert any("Programmvolumen" in str(m) for m in response.context["messages"])
    assert LineRule.objects.get(pk=r.pk).allocation == r.allocation


@pytest.mark.parametrize("jahr", ["²⁰²⁷", "1" + "0" * 30, "-2027", "abc"])
def test_budget_overview_ignores_a_nonsense_year(client_for, jahr):
    response = client_for("haushalt").get(reverse("admin:funding_budget_overview"), {"jahr": jahr})
    assert response.status_code == 200 and "Programmjahr 2027" in response.content.decode()  # all years shown
