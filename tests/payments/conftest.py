"""Fixtures for the payment tests: a funded approval whose notice is final, its signatory, member and an outsider,
and staff per role. Commitments are booked through funding.services (the real ledger), the notice is a sent row."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from applications.models import Application, Notice, NoticeKind, NoticeStatus, PlanYear, Role
from applications.workflow import Status
from funding import services as budget
from funding.models import LineRule
from tests.factories import OrganisationFactory, UserFactory, application, member, staff

IBAN = "DE89370400440532013000"  # the well-known example IBAN (Commerzbank Köln, BIC COBADEFFXXX)


def fund(app: Application, amounts: dict[int, Decimal], *, sent_days_ago: int | None = 60) -> Application:
    """Approve `app` with the given amount per year (booked as commitments) and, unless None, a sent notice."""
    line_rules = {r.programme_year.year: r for r in LineRule.objects.select_related("programme_year")
                  .filter(line_id=app.rule.line_id, programme_year__year__in=list(amounts))}
    for year, amount in sorted(amounts.items()):
        rule = line_rules[year]
        if budget.budget_available(rule=rule) < amount:
            LineRule.objects.filter(pk=rule.pk).update(allocation=rule.allocation + amount)
            rule.refresh_from_db()
        budget.budget_commit(rule=rule, application=app, amount=amount, user=None, reason="Test")
        PlanYear.objects.update_or_create(application=app, year=year, defaults={"approved_grant": amount,
                                                                                "requested_grant": amount})
    total = sum(amounts.values(), Decimal("0"))
    Application.objects.filter(pk=app.pk).update(
        status=Status.APPROVED, approved_amount=total, requested_amount=total, decided_at=timezone.now(),
        file_number=app.file_number or f"WIR-{app.year}-T-{app.pk:04d}")
    if sent_days_ago is not None:
        sent = timezone.now() - datetime.timedelta(days=sent_days_ago)
        Notice.objects.create(application=app, kind=NoticeKind.APPROVAL, status=NoticeStatus.SENT, sent_at=sent,
                              amount=total)
    app.refresh_from_db()
    return app


@pytest.fixture
def org(seeded):
    return OrganisationFactory(iban=IBAN, account_holder="Testverein Kasse")


@pytest.fixture
def people(org):
    signatory, colleague, outsider = UserFactory(), UserFactory(), UserFactory()
    member(signatory, org, Role.SIGNATORY)
    member(colleague, org, Role.MEMBER)
    member(outsider, OrganisationFactory(iban=IBAN), Role.SIGNATORY)
    return {"signatory": signatory, "colleague": colleague, "outsider": outsider}


@pytest.fixture
def funded(org):
    """30,000 € approved for 2027 (Integrations- und Teilhabeprojekte), notice sent 60 days ago: final."""
    return fund(application(organisation=org, grant="30000.00", costs="40000.00"), {2027: Decimal("30000.00")})


@pytest.fixture
def staffers(seeded):
    return {
        "sachbearbeitung": staff("Sachbearbeitung"),
        "sachbearbeitung2": staff("Sachbearbeitung"),
        "haushalt": staff("Haushalt"),
        "haushalt2": staff("Haushalt"),
        "bewilligung": staff("Bewilligung"),
        "nogroup": staff(None),
        "superuser": staff(None, is_superuser=True),
    }


@pytest.fixture
def client_as():
    def make(user) -> Client:
        c = Client()
        c.force_login(user)
        return c

    return make
