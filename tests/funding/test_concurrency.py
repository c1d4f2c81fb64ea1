"""Concurrent approvals on PostgreSQL: the row lock on the line's yearly budget lets exactly as many through as fit.

20 threads, each with its own database connection, approve 20 recommended applications of 50,000 € each against a
line budget with room for exactly 10. Exactly 10 succeed, the ledger sum equals the used part of the allocation,
and nothing is overspent.
"""

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.db.models import Sum

from applications import services
from applications.models import Application
from applications.workflow import Status
from funding.models import LedgerEntry, LineRule
from funding.services import budget_figures
from tests.factories import OrganisationFactory, application, rule, staff

THREADS = 20
AMOUNT = Decimal("50000.00")
ROOM_FOR = 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_never_overspend(require_postgres, seeded, monkeypatch):
    from applications.notices.tasks import notice_render

    # The notices' PDF rendering after commit is not what this test measures.
    monkeypatch.setattr(notice_render, "delay", lambda *args, **kwargs: None)
    assert connection.vendor == "postgresql"

    r = rule("integrationsprojekte", 2027)
    LineRule.objects.filter(pk=r.pk).update(allocation=budget_figures(rule=r).committed + AMOUNT * ROOM_FOR)
    r.refresh_from_db()
    recommender, decider = staff("Sachbearbeitung"), staff("Bewilligung")
    apps = []
    for i in range(THREADS):
        app = application(organisation=OrganisationFactory(kind="landkreis"), grant=str(AMOUNT), costs=str(AMOUNT))
        Application.objects.filter(pk=app.pk).update(status=Status.RECOMMENDED, recommended_by=recommender,
                                                     file_number=f"WIR-2027-IP-{9000 + i}")
        apps.append(app)

    barrier = threading.Barrier(THREADS)
    results: dict[int, str] = {}
    lock = threading.Lock()

    def approve(app_id: int) -> None:
        try:
            app = Application.objects.get(pk=app_id)
            barrier.wait(timeout=30)
            try:
                services.application_decide(application=app, user=decider, action="approve")
                outcome = "ok"
            except services.ApplicationError as exc:
                outcome = f"refused: {exc}"
            except Exception as exc:  # noqa: BLE001 - report anything else as a test failure below
                outcome = f"error: {type(exc).__name__}: {exc}"
            with lock:
                results[app_id] = outcome
        finally:
            connections.close_all()  # each thread had its own connection

    threads = [threading.Thread(target=approve, args=(app.pk,)) for app in apps]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    elapsed = time.perf_counter() - started
    print(f"\n{THREADS} concurrent approvals against room for {ROOM_FOR}: {elapsed:.2f} s wall time")

    assert len(results) == THREADS, results
    errors = [o for o in results.values() if o.startswith("error")]
    assert not errors, errors
    ok = [pk for pk, o in results.items() if o == "ok"]
    refused = [o for o in results.values() if o.startswith("refused")]
    assert len(ok) == ROOM_FOR, results
    assert len(refused) == THREADS - ROOM_FOR
    assert all("reichen nicht aus" in o and "verfügbar noch 0,00 €" in o for o in refused), refused

    ledger_sum = LedgerEntry.objects.filter(rule=r).aggregate(total=Sum("amount"))["total"]
    figures = budget_figures(rule=r)
    assert ledger_sum == AMOUNT * ROOM_FOR == figures.committed
    assert figures.available == Decimal("0.00") and figures.committed <= figures.allocation
    assert set(Application.objects.filter(status=Status.APPROVED).values_list("pk", flat=True)) == set(ok)
    assert Application.objects.filter(pk__in=[a.pk for a in apps], status=Status.RECOMMENDED).count() == THREADS - ROOM_FOR
    assert elapsed < 10  # target < 2 s on this machine; generous bound against a slow CI host
