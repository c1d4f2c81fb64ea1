"""Issue 16: German amounts in the admin are read as the amount meant ('40.000' is 40.000,00 €, never 40,00 €),
and hostile numbers (NaN, 1e308, 30 digits) answer a message at the field, never a 500."""

from decimal import Decimal

import pytest
from django.urls import reverse

from applications.models import Application
from applications.workflow import Status
from funding.models import LedgerEntry, LedgerKind, LineRule, ProgrammeYear

pytestmark = pytest.mark.django_db


def decide_url(app, action):
    return reverse("admin:applications_application_decide", args=[app.pk, action])


def test_partial_approval_of_40_000_books_forty_thousand(client_for, make_app):
    app = make_app(Status.RECOMMENDED)
    r = client_for("bewilligung").post(decide_url(app, "partially_approve"),
                                       {"amount": "40.000", "reasons": "Besetzung ab März"})
    assert r.status_code == 302
    app.refresh_from_db()
    assert app.approved_amount == Decimal("40000.00")
    assert LedgerEntry.objects.get(application=app, kind=LedgerKind.COMMITMENT).amount == Decimal("40000.00")


def test_amendment_with_45_000_sets_forty_five_thousand(client_for, make_app):
    app = make_app(Status.RECOMMENDED)
    c = client_for("bewilligung")
    assert c.post(decide_url(app, "partially_approve"), {"amount": "40.000", "reasons": "x"}).status_code == 302
    r = c.post(decide_url(app, "amend"), {"new_amount": "45.000", "reasons": "Stelle ab Februar"})
    assert r.status_code == 302
    app.refresh_from_db()
    assert app.approved_amount == Decimal("45000.00")


def test_ambiguous_amount_is_refused_at_the_field(client_for, make_app):
    app = make_app(Status.RECOMMENDED)
    r = client_for("bewilligung").post(decide_url(app, "partially_approve"), {"amount": "40,000", "reasons": "x"})
    assert r.status_code == 200
    assert "mehrdeutig" in r.content.decode() and 'value="40,000"' in r.content.decode()
    app.refresh_from_db()
    assert app.status == Status.RECOMMENDED


@pytest.mark.parametrize("action", ["approve", "partially_approve"])
@pytest.mark.parametrize("value", ["NaN", "-NaN", "sNaN", "Infinity", "1e308", "1E+30", "1" * 30])
def test_hostile_numbers_in_approvals_are_a_message(client_for, make_app, action, value):
    app = make_app(Status.RECOMMENDED)
    r = client_for("bewilligung").post(decide_url(app, action), {"amount": value, "reasons": "x"})
    assert r.status_code == 200
    assert 'class="errorlist' in r.content.decode()
    app.refresh_from_db()
    assert app.status == Status.RECOMMENDED


@pytest.mark.parametrize("value", ["NaN", "-NaN", "1e308", "1" * 30])
def test_hostile_numbers_in_bulk_approve_are_a_message(client_for, make_app, value):
    apps = [make_app(Status.RECOMMENDED) for _ in range(2)]
    data = {"action": "bulk_approve", "_selected_action": [a.pk for a in apps], "apply": "1", "reasons": ""}
    for a in apps:
        data[f"amount_{a.pk}"] = value
    r = client_for("bewilligung").post(reverse("admin:applications_application_changelist"), data)
    assert r.status_code == 200
    assert Application.objects.filter(pk__in=[a.pk for a in apps], status=Status.RECOMMENDED).count() == 2


def test_bulk_approve_reads_thousands(client_for, make_app):
    app = make_app(Status.RECOMMENDED)
    data = {"action": "bulk_approve", "_selected_action": [app.pk], "apply": "1", "reasons": "Teilzeit",
            f"amount_{app.pk}": "30.000"}
    client_for("bewilligung").post(reverse("admin:applications_application_changelist"), data)
    app.refresh_from_db()
    assert app.approved_amount == Decimal("30000.00")


def test_the_budget_admin_reads_thousands_too(client_for, seeded):
    """Programme volume and line allocations are money as well: the same field in the funding admin."""
    year = ProgrammeYear.objects.get(year=2027)
    rule = LineRule.objects.filter(programme_year=year).first()
    c = client_for("superuser")
    url = reverse("admin:funding_lineRule_change".lower(), args=[rule.pk])
    page = c.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        data[name] = [str(v) for v in value] if isinstance(value, list) else form[name].value()
    data["allocation"] = "10.000"
    data["unit_rate"] = "40,5"
    data = {k: v for k, v in data.items() if v not in (None, "")}
    r = c.post(url, data)
    assert r.status_code == 302, r.context["adminform"].form.errors if r.context else r
    rule.refresh_from_db()
    assert rule.allocation == Decimal("10000.00")
    assert rule.unit_rate == Decimal("40.50")
    data["allocation"] = "1e308"
    r = c.post(url, data)
    assert r.status_code == 200 and "allocation" in r.context["adminform"].form.errors
