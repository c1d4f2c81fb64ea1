"""Fixtures for the revocation tests: a 2025 approval (notice of 15 January 2025) with 20,000 € of 30,000 € paid on
3 March 2025, its signatory, a plain member, an outsider, and staff per role. Dates lie inside the published
base-rate table (until 30 June 2026), so every interest figure can be computed by hand."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from applications.models import Application, Notice, NoticeKind, NoticeStatus, Payment, PaymentStatus, Role
from funding import services as budget
from funding.models import District, LineRule
from tests.factories import OrganisationFactory, UserFactory, application, member, staff
from tests.payments.conftest import fund

APPROVED_ON = datetime.date(2025, 1, 15)


def approve_2025(org, *, grant="30000.00", paid: list[tuple[datetime.date, str]] = ()) -> Application:
    app = fund(application(organisation=org, code="vielfaltszentren", year=2025, grant=grant, costs="40000.00"),
               {2025: Decimal(grant)}, sent_days_ago=None)
    decided = timezone.make_aware(datetime.datetime.combine(APPROVED_ON, datetime.time(10)))
    Application.objects.filter(pk=app.pk).update(decided_at=decided)
    Notice.objects.create(application=app, kind=NoticeKind.APPROVAL, status=NoticeStatus.SENT, sent_at=decided,
                          amount=Decimal(grant), context={"date": APPROVED_ON.isoformat(), "kind": "approval"})
    rule = LineRule.objects.get(line__code="vielfaltszentren", programme_year__year=2025)
    for day, amount in paid:
        entry = budget.budget_pay(rule=rule, application=app, amount=Decimal(amount), user=None, reason="Test")
        Payment.objects.create(application=app, year=2025, amount=Decimal(amount), status=PaymentStatus.PAID,
                               paid_on=day, ledger_entry=entry, spend_by=day + datetime.timedelta(days=61))
    app.refresh_from_db()
    return app


@pytest.fixture
def org(seeded):
    district = District.objects.filter(court__isnull=False).order_by("name").first()
    return OrganisationFactory(district=district)


@pytest.fixture
def people(org):
    signatory, colleague, outsider = UserFactory(), UserFactory(), UserFactory()
    member(signatory, org, Role.SIGNATORY)
    member(colleague, org, Role.MEMBER)
    member(outsider, OrganisationFactory(), Role.SIGNATORY)
    return {"signatory": signatory, "colleague": colleague, "outsider": outsider}


@pytest.fixture
def funded(org):
    """30,000 € approved for 2025; 20,000 € paid on 3 March 2025."""
    return approve_2025(org, paid=[(datetime.date(2025, 3, 3), "20000.00")])


@pytest.fixture
def staffers(seeded):
    both = staff("Sachbearbeitung")
    both.groups.add(*staff("Bewilligung").groups.all())
    return {
        "sachbearbeitung": staff("Sachbearbeitung"),
        "bewilligung": staff("Bewilligung"),
        "bewilligung2": staff("Bewilligung"),
        "haushalt": staff("Haushalt"),
        "both": both,
        "nogroup": staff(None),
    }


@pytest.fixture
def client_as():
    def make(user) -> Client:
        c = Client()
        c.force_login(user)
        return c

    return make
