"""On PostgreSQL, at once: the beat job running in eight workers sends a reminder once (the unique row per proof and
kind), and two people countersigning the same Prüfvermerk close the grant once (the check's row lock)."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from applications.models import CheckDepth, OutboundMail, ProofIncome, ProofReminder
from applications.proof import services
from funding.models import LedgerEntry, LineRule
from tests.factories import staff
from tests.proof.conftest import add_lines, expense

THREADS = 8


def _parallel(target, n):
    barrier = threading.Barrier(n)
    results, lock = [], threading.Lock()

    def run(i):
        try:
            barrier.wait(timeout=30)
            try:
                outcome = target(i)
            except services.ProofError:
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
        t.join(timeout=60)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_reminder_job_in_parallel_sends_once(require_postgres, proof):
    assert connection.vendor == "postgresql"
    results = _parallel(lambda i: services.proof_reminders_send(today=datetime.date(2028, 6, 30)), THREADS)
    assert not [r for r in results if isinstance(r, str)], results
    assert sum(results) == 1
    assert ProofReminder.objects.filter(proof=proof).count() == 1
    assert OutboundMail.objects.filter(kind="proof_reminder").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_countersignatures_at_once_close_once(require_postgres, funded, people, staffers):
    assert connection.vendor == "postgresql"
    LineRule.objects.filter(pk=funded.rule_id).update(financing_type="fehlbedarf", funding_rate=None)
    items = add_lines(funded, [("Honorare", "40000.00")])
    expense(funded, items[0], "36000.00")
    proof = services.proofs_ensure(application=funded)[-1]
    proof.report = {q.key: "1" for q in services.questions_for(funded)}
    proof.save()
    ProofIncome.objects.create(proof=proof, year=2027, own_funds=Decimal("10000.00"))
    services.proof_submit(proof=proof, user=people["signatory"])
    check = services.check_start(proof=proof, user=staffers["sachbearbeitung"], depth=CheckDepth.CURSORY)
    services.check_save(check=check, user=staffers["sachbearbeitung"], depth=CheckDepth.CURSORY,
                        checklist={k: True for k, _ in services.CHECKLIST_KEYS}, notes="")
    check = services.check_sign(check=check, user=staffers["sachbearbeitung"])
    assert check.grant_due == Decimal("26000.00")  # 36,000 − 10,000; nothing paid: closed, 4,000 released
    signers = [staffers["bewilligung"], staff("Bewilligung")]
    results = _parallel(lambda i: services.check_countersign(check=check, user=signers[i]).status, 2)
    assert sorted(results) == ["countersigned", "refused"], results
    assert list(LedgerEntry.objects.filter(application=funded, kind="release").values_list("amount", flat=True)) == [
        Decimal("4000.00")]
