"""20 parallel payment requests against one approval on PostgreSQL: the application's row lock lets exactly as
many through as fit; paid + pending never exceeds the approved amount."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.db.models import Sum

from applications.models import Payment
from applications.payments import services

THREADS = 20
AMOUNT = Decimal("4000.00")  # 30,000 € approved: room for 7 (28,000 €), the other 13 are refused


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_requests_never_exceed_the_approval(require_postgres, funded, people):
    assert connection.vendor == "postgresql"
    barrier = threading.Barrier(THREADS)
    results: list[str] = []
    lock = threading.Lock()

    def request() -> None:
        try:
            barrier.wait(timeout=30)
            try:
                services.payment_request(application=funded, user=people["signatory"], year=2027, amount=AMOUNT,
                                         need_declared=True)
                outcome = "ok"
            except services.PaymentError:
                outcome = "refused"
            except Exception as exc:  # noqa: BLE001 - reported below
                outcome = f"error: {type(exc).__name__}: {exc}"
            with lock:
                results.append(outcome)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=request) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == THREADS
    assert not [r for r in results if r.startswith("error")], results
    assert results.count("ok") == 7 and results.count("refused") == 13
    pending = Payment.objects.filter(application=funded).aggregate(total=Sum("amount"))["total"]
    assert pending == Decimal("28000.00") <= funded.approved_amount


def _parallel(calls) -> list[str]:
    barrier = threading.Barrier(len(calls))
    results: list[str] = []
    lock = threading.Lock()

    def work(call) -> None:
        try:
            barrier.wait(timeout=30)
            try:
                call()
                outcome = "ok"
            except services.PaymentError as exc:
                outcome = f"refused: {exc}"
            except Exception as exc:  # noqa: BLE001 - reported below (a deadlock would land here)
                outcome = f"error: {type(exc).__name__}: {exc}"
            with lock:
                results.append(outcome)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_runs_executed_in_parallel_book_once_and_never_deadlock(require_postgres, seeded, staffers):
    """Two runs over the same three approvals (payments in opposite id order) and a second execution of the first
    run, all at once: both runs are booked exactly once, the repeat is refused, no deadlock (one lock order:
    run → applications by id → rules)."""
    from applications.models import PaymentStatus
    from funding.models import LedgerEntry, LedgerKind
    from funding.services import ledger_totals
    from tests.factories import OrganisationFactory, application
    from tests.payments.conftest import IBAN, fund

    apps = [fund(application(organisation=OrganisationFactory(iban=IBAN), code="integrationsprojekte", year=2027,
                             grant="1000.00", costs="2000.00"), {2027: Decimal("1000.00")}) for _ in range(3)]

    def ordered(app, amount):
        return Payment.objects.create(application=app, year=2027, amount=Decimal(amount), need_declared=True,
                                      status=PaymentStatus.ORDERED, iban=IBAN).pk

    first = services.run_create(user=staffers["haushalt"], payment_ids=[ordered(a, "300.00") for a in apps])
    second = services.run_create(user=staffers["haushalt"],
                                 payment_ids=[ordered(a, "200.00") for a in reversed(apps)])
    results = _parallel([lambda: services.run_execute(run=first, user=staffers["haushalt2"]),
                         lambda: services.run_execute(run=second, user=staffers["haushalt2"]),
                         lambda: services.run_execute(run=first, user=staffers["haushalt"])])
    assert not [r for r in results if r.startswith("error")], results
    assert results.count("ok") == 2 and len([r for r in results if "bereits" in r]) == 1, results
    # per approval 300 + 200 = 500 € paid of 1,000 € committed; six ledger rows in all
    assert LedgerEntry.objects.filter(kind=LedgerKind.PAYMENT).count() == 6
    for app in apps:
        assert sum(LedgerEntry.objects.filter(application=app, kind=LedgerKind.PAYMENT)
                   .values_list("amount", flat=True)) == Decimal("500.00")
    assert all(t["committed"] >= t["paid"] for t in ledger_totals().values())
