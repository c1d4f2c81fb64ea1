"""The retention release service (called by the proof of use; idempotent), its four-eyes staff fallback, and the
batched execution of a payment run (constant queries, all or nothing, the ledger invariant kept)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.models import Event, OutboundMail, Payment, PaymentPlan, PaymentStatus
from applications.payments import services
from funding.models import LedgerEntry, LedgerKind, LineRule
from funding.services import ledger_totals
from tests.factories import OrganisationFactory, application
from tests.payments.conftest import IBAN, fund

D = Decimal


@pytest.fixture
def retained(funded):
    LineRule.objects.filter(pk=funded.rule_id).update(payment_retention_percent=D("5"))
    return funded


def test_retention_release_once_for_the_proof_of_use(retained, people, staffers):
    # 5 % of 30,000 € = 1,500 € retained; open 28,500 €
    assert services.year_figures(retained)[2027].open == D("28500.00")
    released = services.retention_release(retained, by=staffers["sachbearbeitung"],
                                          reason="Verwendungsnachweis 2027 geprüft und anerkannt")
    assert [(p.year, p.retention_release_reason) for p in released] == [
        (2027, "Verwendungsnachweis 2027 geprüft und anerkannt")]
    plan = PaymentPlan.objects.get(application=retained, year=2027)
    assert plan.retention_released_at and plan.retention_released_by_name
    assert services.year_figures(retained)[2027].open == D("30000.00")
    event = Event.objects.get(application=retained, action="payment_retention_release")
    assert event.amount == D("1500.00")
    # idempotent: the second call releases nothing and writes nothing
    first_at = plan.retention_released_at
    assert services.retention_release(retained, by=None, reason="nochmals") == []
    plan.refresh_from_db()
    assert plan.retention_released_at == first_at and plan.retention_release_reason.startswith("Verwendungsnachweis")
    assert Event.objects.filter(application=retained, action="payment_retention_release").count() == 1


def test_retention_release_without_retention_does_nothing(funded):
    assert services.retention_release(funded, by=None, reason="VN geprüft") == []
    assert not PaymentPlan.objects.exists()


def test_staff_fallback_needs_four_eyes(retained, staffers):
    sb, boss, hh = staffers["sachbearbeitung"], staffers["superuser"], staffers["haushalt"]
    with pytest.raises(services.PaymentError) as exc:  # nothing proposed yet
        services.retention_release_confirm(application=retained, user=hh, year=2027)
    assert "zuerst von einer anderen Person vorgeschlagen" in str(exc.value)
    with pytest.raises(services.PaymentError) as exc:
        services.retention_release_propose(application=retained, user=sb, year=2027, reason=" ")
    assert exc.value.field == "reason"
    services.retention_release_propose(application=retained, user=boss, year=2027, reason="VN vom 3.3. geprüft")
    with pytest.raises(services.PaymentError) as exc:  # the proposer holds every permission, still refused
        services.retention_release_confirm(application=retained, user=boss, year=2027)
    assert "Vier-Augen-Prinzip" in str(exc.value)
    assert services.year_figures(retained)[2027].retention == D("1500.00")
    plan = services.retention_release_confirm(application=retained, user=hh, year=2027)
    assert plan.retention_released_at and plan.retention_release_reason == "VN vom 3.3. geprüft"
    assert services.year_figures(retained)[2027].retention == D("0.00")
    with pytest.raises(services.PaymentError):
        services.retention_release_confirm(application=retained, user=hh, year=2027)


def test_staff_fallback_admin_actions(retained, staffers, client_as):
    plan = PaymentPlan.objects.create(application=retained, year=2027)
    url = "/admin/applications/paymentplan/"
    client_as(staffers["sachbearbeitung"]).post(url, {"action": "retention_propose", "_selected_action": [plan.pk],
                                                      "reason": "VN geprüft"})
    plan.refresh_from_db()
    assert plan.retention_release_proposed_by_id == staffers["sachbearbeitung"].pk and not plan.retention_released_at
    client_as(staffers["haushalt"]).post(url, {"action": "retention_confirm", "_selected_action": [plan.pk]})
    plan.refresh_from_db()
    assert plan.retention_released_at is not None


def _run_of(count: int, staffers, *, amount="100.00"):
    """`count` ordered payments of `amount`, one per new funded application (1,000 € each), in one run."""
    ids = []
    for _ in range(count):
        app = fund(application(organisation=OrganisationFactory(iban=IBAN), code="integrationsprojekte", year=2027,
                               grant="1000.00", costs="2000.00"), {2027: D("1000.00")})
        ids.append(Payment.objects.create(application=app, year=2027, amount=D(amount), status=PaymentStatus.ORDERED,
                                          need_declared=True, iban=IBAN).pk)
    return services.run_create(user=staffers["haushalt"], payment_ids=ids)


def _execute_counting(run, user) -> int:
    with CaptureQueriesContext(connection) as ctx:
        services.run_execute(run=run, user=user)
    return len(ctx.captured_queries)


def test_execution_queries_do_not_grow_with_the_run(seeded, staffers):
    warm, small, large = _run_of(1, staffers), _run_of(2, staffers), _run_of(8, staffers)
    _execute_counting(warm, staffers["haushalt2"])  # first-call caches (permissions) out of the comparison
    q_small = _execute_counting(small, staffers["haushalt2"])
    q_large = _execute_counting(large, staffers["haushalt2"])
    assert q_large == q_small, (q_small, q_large)
    assert q_small < 30
    # 1 + 2 + 8 = 11 payments of 100 € → 11 ledger rows, 1,100 € paid; one event and one mail per payment
    assert LedgerEntry.objects.filter(kind=LedgerKind.PAYMENT).count() == 11
    assert sum(LedgerEntry.objects.filter(kind=LedgerKind.PAYMENT).values_list("amount", flat=True)) == D("1100.00")
    assert Event.objects.filter(action="payment_paid").count() == 11
    assert OutboundMail.objects.filter(kind="payment_paid").count() == 11
    assert all(p.ledger_entry.amount == p.amount == D("100.00") and p.spend_by
               for p in Payment.objects.select_related("ledger_entry"))
    for totals in ledger_totals().values():  # committed − released ≥ paid per rule
        assert totals["committed"] >= totals["paid"]


def test_execution_all_or_nothing_when_a_payment_would_overpay(seeded, staffers):
    run = _run_of(3, staffers)
    # one application's payment raised behind the services' back: 1,000.01 € > 1,000 € committed
    Payment.objects.filter(pk=run.payments.order_by("pk").last().pk).update(amount=D("1000.01"))
    with pytest.raises(services.PaymentError) as exc:
        services.run_execute(run=run, user=staffers["haushalt2"])
    assert "überschreitet die Bewilligung" in str(exc.value)
    assert not LedgerEntry.objects.filter(kind=LedgerKind.PAYMENT).exists()
    assert not Payment.objects.filter(status=PaymentStatus.PAID).exists()
    run.refresh_from_db()
    assert run.executed_at is None
