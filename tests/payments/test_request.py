"""Mittelabruf: the open amount per year, the bad inputs, finality and IBAN, who may request."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail

from applications.models import Event, Organisation, Payment, PaymentStatus
from applications.payments import services
from applications.payments.finality import approval_final_on
from funding.models import LineRule
from tests.factories import application
from tests.payments.conftest import fund

D = Decimal


def test_request_within_open_amount_and_figures(funded, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        p = services.payment_request(application=funded, user=people["signatory"], year=2027, amount=D("12000.00"),
                                     need_declared=True)
    assert p.status == PaymentStatus.REQUESTED and p.iban == "DE89370400440532013000"
    f = services.year_figures(funded)[2027]
    assert (f.approved, f.paid, f.pending, f.open) == (D("30000.00"), D("0.00"), D("12000.00"), D("18000.00"))
    assert Event.objects.filter(application=funded, action="payment_request", amount=D("12000.00")).exists()
    assert len(mail.outbox) == 1 and "Mittelabruf" in mail.outbox[0].subject


def test_request_over_open_amount_refused_at_amount(funded, people):
    services.payment_request(application=funded, user=people["signatory"], year=2027, amount=D("20000.00"),
                             need_declared=True)
    with pytest.raises(services.PaymentError) as exc:
        services.payment_request(application=funded, user=people["signatory"], year=2027, amount=D("10000.01"),
                                 need_declared=True)
    assert exc.value.field == "amount" and "höchstens 10.000,00 €" in str(exc.value)
    # exactly the rest still fits
    services.payment_request(application=funded, user=people["signatory"], year=2027, amount=D("10000.00"),
                             need_declared=True)
    assert services.year_figures(funded)[2027].open == D("0.00")


@pytest.mark.parametrize("amount", [D("0"), D("-5.00")])
def test_amount_not_positive(funded, people, amount):
    with pytest.raises(services.PaymentError) as exc:
        services.payment_request(application=funded, user=people["signatory"], year=2027, amount=amount,
                                 need_declared=True)
    assert exc.value.field == "amount"


def test_year_outside_the_approval(funded, people):
    with pytest.raises(services.PaymentError) as exc:
        services.payment_request(application=funded, user=people["signatory"], year=2026, amount=D("10.00"),
                                 need_declared=True)
    assert exc.value.field == "year" and "2027" in str(exc.value)


def test_declaration_required(funded, people):
    with pytest.raises(services.PaymentError) as exc:
        services.payment_request(application=funded, user=people["signatory"], year=2027, amount=D("10.00"),
                                 need_declared=False)
    assert exc.value.field == "need_declared"


@pytest.mark.parametrize("iban", ["", "DE00123456780000000000"])
def test_organisation_without_valid_iban(funded, people, iban):
    Organisation.objects.filter(pk=funded.organisation_id).update(iban=iban)
    funded.refresh_from_db()
    with pytest.raises(services.PaymentError) as exc:
        services.payment_request(application=funded, user=people["signatory"], year=2027, amount=D("10.00"),
                                 need_declared=True)
    assert exc.value.field == "iban" and "IBAN" in str(exc.value)
    assert not Payment.objects.exists()


def test_not_final_yet(org, people):
    app = fund(application(organisation=org, code="integrationsprojekte", year=2027, grant="1000.00", costs="2000.00"), {2027: D("1000.00")}, sent_days_ago=5)
    final_on = approval_final_on(app)
    assert final_on is not None and final_on > datetime.date.today()
    with pytest.raises(services.PaymentError) as exc:
        services.payment_request(application=app, user=people["signatory"], year=2027, amount=D("10.00"),
                                 need_declared=True)
    assert f"{final_on:%d.%m.%Y}" in str(exc.value)


def test_not_sent_notice_is_not_final(org, people):
    app = fund(application(organisation=org, code="integrationsprojekte", year=2027, grant="1000.00", costs="2000.00"), {2027: D("1000.00")}, sent_days_ago=None)
    assert approval_final_on(app) is None
    with pytest.raises(services.PaymentError):
        services.payment_request(application=app, user=people["signatory"], year=2027, amount=D("10.00"),
                                 need_declared=True)


def test_finality_dates_of_the_decisions(org):
    """Payments ask the decisions' finality: sent Sun 10.01.2027 → received Wed 13.01. (§ 41 Abs. 2 HVwVfG) →
    the month ends Sat 13.02., moved to Mon 15.02. (§ 57 Abs. 2 VwGO, § 222 Abs. 2 ZPO) → final from 16.02."""
    from django.utils import timezone

    from applications.models import Notice

    app = fund(application(organisation=org, code="integrationsprojekte", year=2027, grant="1000.00", costs="2000.00"), {2027: D("1000.00")}, sent_days_ago=None)
    Notice.objects.create(application=app, kind="approval", status="sent",
                          sent_at=timezone.make_aware(datetime.datetime(2027, 1, 10, 12, 0)))
    Notice.objects.create(application=app, kind="receipt", status="sent",  # other kinds do not count
                          sent_at=timezone.make_aware(datetime.datetime(2026, 1, 10, 12, 0)))
    Notice.objects.filter(application=app, kind="approval").update(
        first_sent_at=timezone.make_aware(datetime.datetime(2027, 1, 10, 12, 0)))
    assert approval_final_on(app) == datetime.date(2027, 2, 16)


def test_member_and_outsider_may_not_request(funded, people):
    for who in ("colleague", "outsider"):
        with pytest.raises(services.PaymentError):
            services.payment_request(application=funded, user=people[who], year=2027, amount=D("10.00"),
                                     need_declared=True)
    assert not Payment.objects.exists()


def test_retention_held_back_until_released(funded, people, staffers):
    LineRule.objects.filter(pk=funded.rule_id).update(payment_retention_percent=D("5"))
    f = services.year_figures(funded)[2027]
    assert f.retention == D("1500.00") and f.open == D("28500.00")
    with pytest.raises(services.PaymentError):
        services.payment_request(application=funded, user=people["signatory"], year=2027, amount=D("28500.01"),
                                 need_declared=True)
    services.retention_release(funded, by=staffers["sachbearbeitung"], reason="Verwendungsnachweis geprüft")
    assert services.year_figures(funded)[2027].open == D("30000.00")


def test_multi_year_open_per_year(org, people):
    app = fund(application(organisation=org, code="vielfaltszentren", year=2026, grant="100000.00", costs="120000.00"),
               {2026: D("60000.00"), 2027: D("40000.00")})
    figures = services.year_figures(app)
    assert [(y, f.approved) for y, f in figures.items()] == [(2026, D("60000.00")), (2027, D("40000.00"))]
    services.payment_request(application=app, user=people["signatory"], year=2027, amount=D("40000.00"),
                             need_declared=True)
    with pytest.raises(services.PaymentError):
        services.payment_request(application=app, user=people["signatory"], year=2027, amount=D("0.01"),
                                 need_declared=True)
    services.payment_request(application=app, user=people["signatory"], year=2026, amount=D("60000.00"),
                             need_declared=True)
