"""Fixtures for the proof-of-use tests: the payment tests' funded approval (a sent, final notice and commitments in
the real ledger), signatory / member / outsider, staff per role — and a proof with a Belegliste."""

import datetime
from decimal import Decimal

import pytest

from applications.models import Application, CostItem, Expense, Payment, PaymentStatus
from applications.proof import services
from tests.factories import application
from tests.payments.conftest import client_as, fund, org, people, staffers  # noqa: F401 - fixtures

D = Decimal


def funded_app(organisation, *, code="integrationsprojekte", year=2027, grant="30000.00", costs="40000.00") -> Application:
    """One-year approval: plan `costs` (one personnel line), own funds costs − grant, grant approved as asked."""
    return fund(application(organisation=organisation, code=code, year=year, grant=grant, costs=costs),
                {year: D(grant)})


def add_lines(app: Application, lines: list[tuple[str, str]]) -> list[CostItem]:
    """Replace the plan's cost lines of the application's year by these (description, amount), approved as asked."""
    app.cost_items.all().delete()
    return [CostItem.objects.create(application=app, year=app.year, category="material", description=d,
                                    amount=D(a), approved_amount=D(a)) for d, a in lines]


def expense(app, item, amount, *, day=None, payee="Firma", purpose="Rechnung") -> Expense:
    return Expense.objects.create(application=app, cost_item=item, paid_on=day or datetime.date(app.year, 3, 1),
                                  payee=payee, purpose=purpose, amount=D(amount))


def pay(app, year, amount, *, paid_on=None) -> Payment:
    return Payment.objects.create(application=app, year=year, amount=D(amount), status=PaymentStatus.PAID,
                                  paid_on=paid_on or datetime.date(year, 2, 1))


@pytest.fixture
def funded(org):  # noqa: F811 - the payments fixture `org`
    return funded_app(org)


@pytest.fixture
def proof(funded):
    return services.proofs_ensure(application=funded)[-1]
