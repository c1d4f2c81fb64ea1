"""Payments only against an enacted year's allocation: years booked against the commitment authority (VE) show as
"noch nicht abrufbar", a request for them is refused at the year field, their tranches do not fall due until the
budget is enacted; and the two-month rule (a year may be requested from two months before its project start)."""

import datetime
from decimal import Decimal

import pytest

from applications.models import Payment, PaymentSource
from applications.payments import services
from funding import services as budget
from funding.models import LedgerEntry, LedgerSource, LineRule, ProgrammeYear
from tests.factories import application
from tests.payments.conftest import fund

D = Decimal
VE_YEAR = 2028  # seeded with budget_enacted=False and a VE of 600,000 € for the Vielfaltszentren


@pytest.fixture
def centre(org):
    """A Vielfaltszentrum approved 2026 (allocation) and 2028 (commitment authority): 50,000 € + 120,000 €."""
    app = application(organisation=org, code="vielfaltszentren", year=2026, grant="50000.00", costs="60000.00")
    return fund(app, {2026: D("50000.00"), VE_YEAR: D("120000.00")})


def _enact(year: int, staff_user) -> None:
    py = ProgrammeYear.objects.get(year=year)
    # the enacted allocation must take what was booked against the VE
    LineRule.objects.filter(programme_year=py).update(allocation=D("600000.00"))
    ProgrammeYear.objects.filter(pk=py.pk).update(volume=D("10000000.00"))
    py.refresh_from_db()
    budget.programme_year_enact(programme_year=py, user=staff_user)


def test_ve_year_booked_against_the_authority_is_not_requestable(centre):
    assert not ProgrammeYear.objects.get(year=VE_YEAR).budget_enacted
    assert LedgerEntry.objects.filter(application=centre, rule__programme_year__year=VE_YEAR,
                                      source=LedgerSource.AUTHORITY).exists()
    figures = services.year_figures(centre)
    ve = figures[VE_YEAR]
    # approved 120,000 € but nothing open while the budget is not enacted; 2026 is open in full (50,000 €)
    assert (ve.approved, ve.enacted, ve.open) == (D("120000.00"), False, D("0.00"))
    assert ve.not_requestable_reason == "noch nicht abrufbar (Haushalt 2028 noch nicht beschlossen)"
    assert (figures[2026].enacted, figures[2026].open) == (True, D("50000.00"))


def test_service_refuses_a_ve_year_at_the_year_field(centre, people):
    with pytest.raises(services.PaymentError) as exc:
        services.payment_request(application=centre, user=people["signatory"], year=VE_YEAR, amount=D("1000.00"),
                                 need_declared=True, today=datetime.date(2027, 12, 1))
    assert exc.value.field == "year"
    assert "noch nicht in Kraft" in str(exc.value) and "erst nach Verabschiedung des Haushalts abrufbar" in str(exc.value)
    assert not Payment.objects.exists()


def test_page_shows_ve_year_as_not_requestable_and_keeps_the_input(centre, people, client_as):
    c = client_as(people["signatory"])
    page = c.get(f"/portal/antraege/{centre.pk}/mittelabruf/").content.decode()
    assert "noch nicht abrufbar (Haushalt 2028 noch nicht beschlossen)" in page
    assert "2028 (Haushalt 2028 noch nicht beschlossen)" in page  # the year choice says why
    r = c.post(f"/portal/antraege/{centre.pk}/mittelabruf/", {"year": str(VE_YEAR), "amount": "1.234,56",
                                                         "need_declared": "on"})
    assert r.status_code == 400
    form = r.context["form"]
    assert "noch nicht in Kraft" in " ".join(form.errors["year"])
    assert "erst nach Verabschiedung des Haushalts abrufbar" in " ".join(form.errors["year"])
    assert 'value="1.234,56"' in r.content.decode()  # nothing typed is lost
    assert not Payment.objects.exists()


def test_order_of_a_ve_year_payment_refused(centre, people, staffers):
    """Defence in depth: a payment for a VE year that got in somehow cannot be ordered."""
    p = Payment.objects.create(application=centre, year=VE_YEAR, amount=D("10.00"), need_declared=True,
                               iban="DE89370400440532013000")
    services.payment_confirm(payment=p, user=staffers["sachbearbeitung"])
    with pytest.raises(services.PaymentError) as exc:
        services.payment_order(payment=p, user=staffers["haushalt"])
    assert "noch nicht in Kraft" in str(exc.value)


def test_tranches_of_a_ve_year_fall_due_only_after_enactment(centre, staffers):
    services.payment_plan_set(application=centre, user=staffers["sachbearbeitung"], year=VE_YEAR, mode="tranches",
                              tranches=4)
    april = datetime.date(VE_YEAR, 4, 2)  # the tranches of 1.1. and 1.4.2028 are due by date
    assert services.tranches_fall_due(today=april) == 0
    assert not Payment.objects.filter(source=PaymentSource.TRANCHE).exists()
    _enact(VE_YEAR, staffers["haushalt"])
    assert services.year_figures(centre)[VE_YEAR].enacted
    assert services.tranches_fall_due(today=april) == 2
    # 120,000 € / 4 = 30,000 € per tranche; tranches 1 and 2
    assert sorted(Payment.objects.filter(source=PaymentSource.TRANCHE).values_list("tranche_no", "amount")) == [
        (1, D("30000.00")), (2, D("30000.00"))]
    assert services.tranches_fall_due(today=april) == 0  # once


def test_enacted_year_requestable_from_two_months_before_its_start(centre, people, staffers):
    _enact(VE_YEAR, staffers["haushalt"])
    assert services.earliest_request_on(centre, VE_YEAR) == datetime.date(2027, 11, 1)  # 1.1.2028 − 2 months
    with pytest.raises(services.PaymentError) as exc:
        services.payment_request(application=centre, user=people["signatory"], year=VE_YEAR, amount=D("1000.00"),
                                 need_declared=True, today=datetime.date(2027, 10, 31))
    assert exc.value.field == "year" and "frühestens ab dem 01.11.2027" in str(exc.value)
    p = services.payment_request(application=centre, user=people["signatory"], year=VE_YEAR, amount=D("1000.00"),
                                 need_declared=True, today=datetime.date(2027, 11, 1))
    assert p.year == VE_YEAR
    # open after the request: 120,000 − 1,000 = 119,000 €
    assert services.year_figures(centre)[VE_YEAR].open == D("119000.00")


def test_later_project_start_moves_the_earliest_request(org):
    app = application(organisation=org, code="integrationsprojekte", year=2027, grant="1000.00", costs="2000.00")
    app.period_start = datetime.date(2027, 5, 15)
    assert services.earliest_request_on(app, 2027) == datetime.date(2027, 3, 15)  # 15.5. − 2 months
    assert services.earliest_request_on(app, 2028) == datetime.date(2027, 11, 1)  # later year: from 1.1.
    app.period_start = datetime.date(2027, 1, 31)
    assert services.earliest_request_on(app, 2027) == datetime.date(2026, 11, 30)  # 31.11. does not exist


def test_page_marks_a_year_not_yet_requestable_by_date(centre, people, client_as, staffers, monkeypatch):
    """On 1.10.2027, 2028 (once enacted) shows from when it can be requested: 1.11.2027."""
    _enact(VE_YEAR, staffers["haushalt"])
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: datetime.date(2027, 10, 1))
    page = client_as(people["signatory"]).get(f"/portal/antraege/{centre.pk}/mittelabruf/").content.decode()
    assert "abrufbar ab 01.11.2027" in page
    assert "noch nicht abrufbar" not in page
