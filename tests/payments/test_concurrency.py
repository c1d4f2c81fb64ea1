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
