"""Verpflichtungsermächtigung (VE): multi-year approvals book each year against its allocation or, for a year whose
budget is not enacted, against the VE — all or nothing; enactment converts VE bookings; refusals name the missing
figure and who sets it; a VE can never drop below what is booked against it.

Figures are computed by hand from the seed (funding/seed.py): WIR-Vielfaltszentren has an allocation of
600.000 € in 2026 and 2027 and a VE of 600.000 € in each of 2028, 2029 and 2030 (years not enacted).
A Vielfaltszentrum with 1,75 Koordinationskräfte (60.000 € × 1,75 = 105.000 €) and a Mitarbeitsstelle of
15.000 € may receive 120.000 € a year — 600.000 € for 2026–2030, the public Hochtaunuskreis figure.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from applications import services
from applications.models import Organisation
from applications.workflow import Status
from funding.models import LedgerEntry, LedgerKind, LedgerSource, LineRule, ProgrammeYear
from funding.services import (
    BudgetError,
    budget_commit_years,
    budget_figures,
    budget_pay,
    programme_year_enact,
    rule_save,
)
from tests.factories import multi_year_application, rule, staff

pytestmark = pytest.mark.django_db

E = Decimal
YEARS = (2026, 2027, 2028, 2029, 2030)
VZ_DETAILS = {"coordination_posts": "1.75", "pay_group": "E 11", "staff_post": "15000"}


@pytest.fixture
def people(seeded):
    return {"recommender": staff("Sachbearbeitung"), "decider": staff("Bewilligung")}


def vz_application(name: str, people, grants=None, n=1):
    org = Organisation.objects.get(name=name)
    return multi_year_application(
        organisation=org, code="vielfaltszentren", year=2026, details=dict(VZ_DETAILS),
        grants=grants or {y: "120000" for y in YEARS}, status=Status.RECOMMENDED,
        file_number=f"WIR-2026-VZ-{9000 + n}", recommended_by=people["recommender"],
    )


def ledger(app):
    return sorted((e.rule.programme_year.year, e.kind, e.source, e.amount)
                  for e in LedgerEntry.objects.filter(application=app).select_related("rule__programme_year"))


def test_approval_books_enacted_years_on_the_allocation_and_later_years_on_the_ve(people):
    app = vz_application("Hochtaunuskreis", people)
    services.application_decide(application=app, user=people["decider"], action="approve")
    assert ledger(app) == [
        (2026, LedgerKind.COMMITMENT, LedgerSource.ALLOCATION, E("120000.00")),
        (2027, LedgerKind.COMMITMENT, LedgerSource.ALLOCATION, E("120000.00")),
        (2028, LedgerKind.COMMITMENT, LedgerSource.AUTHORITY, E("120000.00")),
        (2029, LedgerKind.COMMITMENT, LedgerSource.AUTHORITY, E("120000.00")),
        (2030, LedgerKind.COMMITMENT, LedgerSource.AUTHORITY, E("120000.00")),
    ]
    f2026, f2028 = budget_figures(rule=rule("vielfaltszentren", 2026)), budget_figures(rule=rule("vielfaltszentren", 2028))
    assert (f2026.committed, f2026.available, f2026.bookable) == (E("120000"), E("480000"), E("480000"))
    assert (f2028.allocation, f2028.committed, f2028.authority_committed) == (E("0"), E("0"), E("120000"))
    assert (f2028.authority_available, f2028.bookable, f2028.enacted) == (E("480000"), E("480000"), False)
    app.refresh_from_db()
    assert app.approved_amount == E("600000.00")
    assert [p.approved_grant for p in app.plan_years.all()] == [E("120000.00")] * 5


def test_ve_exhausted_in_one_year_refuses_the_whole_approval(people):
    LineRule.objects.filter(pk=rule("vielfaltszentren", 2029).pk).update(commitment_authority=E("150000"))
    first = vz_application("Hochtaunuskreis", people, n=1)
    services.application_decide(application=first, user=people["decider"], action="approve")
    second = vz_application("Bad Homburg v. d. Höhe", people, n=2)
    with pytest.raises(services.ApplicationError) as exc:
        services.application_decide(application=second, user=people["decider"], action="approve")
    # 150.000 − 120.000 = 30.000 € left in the 2029 VE; 120.000 € asked.
    assert str(exc.value) == ("Die Verpflichtungsermächtigung 2029 im Förderbereich „WIR-Vielfaltszentren“ reicht "
                              "nicht aus: beantragt 120.000,00 €, verfügbar noch 30.000,00 €.")
    assert ledger(second) == []  # 2026–2028 were booked before 2029 failed: rolled back together
    second.refresh_from_db()
    assert second.status == Status.RECOMMENDED
    assert budget_figures(rule=rule("vielfaltszentren", 2026)).committed == E("120000")


def test_refusal_names_the_missing_figure_and_who_sets_it(people):
    LineRule.objects.filter(pk=rule("vielfaltszentren", 2030).pk).update(commitment_authority=None)
    app = vz_application("Hochtaunuskreis", people)
    with pytest.raises(services.ApplicationError) as exc:
        services.application_decide(application=app, user=people["decider"], action="approve")
    assert str(exc.value) == (
        "Für 2030 ist weder ein Mittelansatz noch eine Verpflichtungsermächtigung für „WIR-Vielfaltszentren“ "
        "festgelegt – Haushalt kann sie unter Verwaltung › Programm und Haushalt › Förderregeln je Jahr anlegen.")
    assert ledger(app) == []
    # A planned allocation is not money before the budget is enacted: the VE is what is missing.
    LineRule.objects.filter(pk=rule("vielfaltszentren", 2030).pk).update(allocation=E("500000"))
    with pytest.raises(services.ApplicationError) as exc:
        services.application_decide(application=app, user=people["decider"], action="approve")
    assert str(exc.value) == (
        "Für 2030 ist der Haushalt noch nicht beschlossen und für „WIR-Vielfaltszentren“ keine "
        "Verpflichtungsermächtigung festgelegt – Haushalt kann sie unter Verwaltung › Programm und Haushalt › "
        "Förderregeln je Jahr festlegen.")


def test_a_year_without_any_rule_is_refused_naming_both_figures(people):
    app = vz_application("Hochtaunuskreis", people)
    with pytest.raises(BudgetError) as exc:
        budget_commit_years(line=app.rule.line, application=app, user=people["decider"],
                            amounts={2030: E("100"), 2031: E("100")})
    assert str(exc.value) == (
        "Für 2031 ist weder ein Mittelansatz noch eine Verpflichtungsermächtigung für „WIR-Vielfaltszentren“ "
        "festgelegt – Haushalt kann sie unter Verwaltung › Programm und Haushalt › Förderregeln je Jahr anlegen.")
    assert ledger(app) == []


def _enactable(year: int, *, volume: str, allocation: str):
    py = ProgrammeYear.objects.get(year=year)
    py.volume = E(volume)
    py.save()
    r = rule("vielfaltszentren", year)
    r.allocation = E(allocation)
    rule_save(rule=r)
    return py


def test_enacting_a_year_converts_its_ve_bookings_into_commitments_of_its_allocation(people):
    a = vz_application("Hochtaunuskreis", people, n=1)
    b = vz_application("Bad Homburg v. d. Höhe", people, n=2,
                       grants={2026: "50000", 2027: "50000", 2028: "40000", 2029: "40000", 2030: "40000"})
    for app in (a, b):
        services.application_decide(application=app, user=people["decider"], action="approve")
    py = _enactable(2028, volume="1000000", allocation="500000")
    done = programme_year_enact(programme_year=py, user=people["decider"])
    # 120.000 + 40.000 = 160.000 € from two approvals move from the VE to the allocation.
    assert [(c.rule.line.code, c.amount, c.applications) for c in done] == [("vielfaltszentren", E("160000"), 2)]
    f = budget_figures(rule=rule("vielfaltszentren", 2028))
    assert (f.enacted, f.committed, f.authority_committed) == (True, E("160000"), E("0"))
    assert (f.available, f.bookable) == (E("340000"), E("340000"))  # 500.000 − 160.000
    assert [row for row in ledger(b) if row[0] == 2028] == [
        (2028, LedgerKind.COMMITMENT, LedgerSource.ALLOCATION, E("40000.00")),
        (2028, LedgerKind.COMMITMENT, LedgerSource.AUTHORITY, E("40000.00")),
        (2028, LedgerKind.RELEASE, LedgerSource.AUTHORITY, E("40000.00")),
    ]
    # 2029 stays on the VE: 600.000 − 120.000 − 40.000 = 440.000 € left.
    assert budget_figures(rule=rule("vielfaltszentren", 2029)).authority_available == E("440000")
    # Now the 2028 money can be paid (not before: see below), and later approvals book 2028 on the allocation.
    budget_pay(rule=rule("vielfaltszentren", 2028), application=b, amount=E("10000"), user=people["decider"])
    c = vz_application("Landkreis Gießen", people, n=3, grants={y: "10000" for y in YEARS})
    services.application_decide(application=c, user=people["decider"], action="approve")
    assert (2028, LedgerKind.COMMITMENT, LedgerSource.ALLOCATION, E("10000.00")) in ledger(c)


def test_enactment_refused_when_the_allocation_cannot_take_the_ve_bookings(people):
    app = vz_application("Hochtaunuskreis", people)
    services.application_decide(application=app, user=people["decider"], action="approve")
    py = _enactable(2028, volume="1000000", allocation="100000")
    before = LedgerEntry.objects.count()
    with pytest.raises(BudgetError) as exc:
        programme_year_enact(programme_year=py, user=people["decider"])
    assert "„WIR-Vielfaltszentren“: Mittelansatz 100.000,00 €, gebunden einschließlich VE 120.000,00 €" in str(exc.value)
    assert "Haushalt kann die Mittelansätze" in str(exc.value)
    py.refresh_from_db()
    assert py.budget_enacted is False and LedgerEntry.objects.count() == before


def test_money_on_a_ve_cannot_be_paid_before_the_year_is_enacted(people):
    app = vz_application("Hochtaunuskreis", people)
    services.application_decide(application=app, user=people["decider"], action="approve")
    with pytest.raises(BudgetError):
        budget_pay(rule=rule("vielfaltszentren", 2028), application=app, amount=E("1"), user=people["decider"])


def test_ve_below_what_is_booked_is_refused_in_the_service_and_at_the_field(people, client):
    app = vz_application("Hochtaunuskreis", people)
    services.application_decide(application=app, user=people["decider"], action="approve")
    r = rule("vielfaltszentren", 2028)
    r.commitment_authority = E("119999.99")
    with pytest.raises(BudgetError, match="nicht unter die gegen sie gebundenen Mittel"):
        rule_save(rule=r)
    client.force_login(staff("Haushalt"))
    url = reverse("admin:funding_linerule_change", args=[r.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = _form_data(page)
    data["commitment_authority"] = "119999"  # parsed alike by the admin's field before and after the money parser (sec)
    response = client.post(url, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["commitment_authority"] == [
        "Die Verpflichtungsermächtigung darf nicht unter die gegen sie gebundenen Mittel (120.000,00 €) sinken."]
    assert LineRule.objects.get(pk=r.pk).commitment_authority == E("600000.00")
    data["commitment_authority"] = "120000"
    assert client.post(url, data).status_code == 302
    assert LineRule.objects.get(pk=r.pk).commitment_authority == E("120000.00")


def _form_data(page) -> dict:
    """The admin change form's current values, as the browser would post them back."""
    form = page.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, list):
            data[name] = value
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = str(value)
    return data


def test_enact_action_in_the_admin(people, client):
    app = vz_application("Hochtaunuskreis", people)
    services.application_decide(application=app, user=people["decider"], action="approve")
    py = _enactable(2028, volume="1000000", allocation="500000")
    client.force_login(staff("Haushalt"))
    response = client.post(reverse("admin:funding_programmeyear_changelist"),
                           {"action": "enact_budget", "_selected_action": [py.pk]}, follow=True)
    assert any("120.000,00 € aus 1 Bewilligungen" in str(m) for m in response.context["messages"])
    py.refresh_from_db()
    assert py.budget_enacted


def test_budget_overview_shows_ve_and_the_period(people, client):
    app = vz_application("Hochtaunuskreis", people)
    services.application_decide(application=app, user=people["decider"], action="approve")
    client.force_login(staff("Haushalt"))
    html = client.get(reverse("admin:funding_budget_overview")).content.decode()
    assert "Förderperiode WIR-Vielfaltszentren 2026–2030 insgesamt" in html
    # Period row of the Vielfaltszentren: allocations 2 × 600.000, VE 3 × 600.000, committed 600.000,
    # available 1.200.000 + 1.800.000 − 600.000 = 2.400.000.
    row = html.split("<th scope=\"row\">WIR-Vielfaltszentren</th>")[1].split("</tr>")[0]
    for figure in ("1.200.000,00 €", "1.800.000,00 €", "600.000,00 €", "2.400.000,00 €"):
        assert figure in row, figure
    year_2029 = html.split('id="year-2029"')[1].split("</section>")[0]
    assert "Haushalt nicht beschlossen" in year_2029 and "gegen VE gebunden" in year_2029
