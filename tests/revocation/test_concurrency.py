"""Parallel money paths of a revocation on PostgreSQL: ten Haushalt clerks book the same 1,000 € payment on one
claim at the same moment. The application's row lock (LOCK ORDER step 1) and the claim row lock
serialise them: the claim is never overpaid, the REFUND rows never exceed the refund, committed never drops
below paid − refunded."""

import datetime
import threading
from decimal import Decimal as D

import pytest
from django.db import connection, connections
from django.db.models import Sum

from applications.models import ClaimPayment
from applications.revocation import services
from funding.models import LedgerEntry, LedgerKind
from funding.services import committed_for_application, paid_net_for_application
from tests.revocation.test_flow import to_decision

THREADS = 10


def _parallel(target, n):
    results, lock = [], threading.Lock()
    barrier = threading.Barrier(n)

    def run(i):
        try:
            barrier.wait(timeout=30)
            try:
                target(i)
                outcome = "ok"
            except services.RevocationError:
                outcome = "refused"
            except Exception as exc:  # noqa: BLE001 - reported below
                outcome = f"error: {type(exc).__name__}: {exc}"
            with lock:
                results.append(outcome)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_claim_payments_never_overpay(require_postgres, funded, staffers):
    assert connection.vendor == "postgresql"
    claim = to_decision(funded, staffers).claim  # 2,000 € + interest; on 2 Mar 2026: 2,083.83 € open
    hh = staffers["haushalt"]
    results = _parallel(lambda i: services.claim_payment_record(
        claim=claim, user=hh, amount=D("1000.00"), received_on=datetime.date(2026, 3, 2),
        today=datetime.date(2026, 3, 3)), THREADS)
    assert not [r for r in results if r.startswith("error")], results
    # 2,083.83 open: two payments of 1,000 fit (83.83 interest + 1,916.17 principal), the third would overpay
    assert results.count("ok") == 2 and results.count("refused") == THREADS - 2
    assert ClaimPayment.objects.filter(claim=claim).aggregate(s=Sum("amount"))["s"] == D("2000.00")
    refunded = LedgerEntry.objects.filter(application=funded, kind=LedgerKind.REFUND).aggregate(s=Sum("amount"))["s"]
    assert refunded == D("1916.17") <= claim.principal
    rule_id = funded.rule_id
    assert committed_for_application(application_id=funded.pk) >= paid_net_for_application(
        application_id=funded.pk, rule_id=rule_id)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_decision_races_a_payment_request(require_postgres, funded, staffers, people):
    """Revoking 12,000 of 30,000 (20,000 paid) leaves nothing to request; a request of 5,000 at the same moment:
    exactly one of the two goes through, whichever locks the application first."""
    from applications.models import Payment, RevocationOutcome
    from applications.payments import services as pay
    from tests.revocation.test_flow import open_case

    sb = staffers["sachbearbeitung"]
    rv = open_case(funded, sb)
    services.hearing_send(revocation=rv, user=sb, deadline=datetime.date(2026, 1, 5), today=datetime.date(2025, 12, 1))
    services.revocation_prepare(revocation=rv, user=sb, outcome=RevocationOutcome.REVOKE, considerations="E",
                                today=datetime.date(2026, 2, 2))
    outcomes = {}

    def act(i):
        if i == 0:
            try:
                services.revocation_decide(revocation=rv, user=staffers["bewilligung"],
                                           today=datetime.date(2026, 2, 2))
                outcomes["decide"] = "ok"
            except services.RevocationError as exc:
                outcomes["decide"] = f"refused: {exc}"
        else:
            try:
                pay.payment_request(application=funded, user=people["signatory"], year=2025, amount=D("5000.00"),
                                    need_declared=True)
                outcomes["request"] = "ok"
            except pay.PaymentError as exc:
                outcomes["request"] = f"refused: {exc}"

    results = _parallel(act, 2)
    assert not [r for r in results if r.startswith("error")], results
    pending = Payment.objects.filter(application=funded, status="requested").aggregate(s=Sum("amount"))["s"]
    if outcomes.get("decide") == "ok":
        assert pending is None and outcomes["request"].startswith("refused")
        assert committed_for_application(application_id=funded.pk) == D("20000.00")
    else:  # the request came first: the decision refuses until it is refused or paid
        assert pending == D("5000.00") and outcomes["request"] == "ok"
        assert "offene Mittelabrufe" in outcomes["decide"]
        assert committed_for_application(application_id=funded.pk) == D("30000.00")
