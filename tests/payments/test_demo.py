"""The demo data contain every payment state, a tranche plan of a multi-year approval and payment runs."""

from applications.models import Payment, PaymentPlan, PaymentRun, PaymentStatus
from applications.payments import exports
from funding.services import ledger_totals


def test_demo_payments(seeded, django_capture_on_commit_callbacks):
    from applications.demo import seed_demo

    with django_capture_on_commit_callbacks(execute=True):
        seed_demo()  # notices are rendered and sent after commit, then the payments are seeded
    statuses = set(Payment.objects.filter(application__title__startswith="[Demo]").values_list("status", flat=True))
    assert statuses == set(PaymentStatus.values)
    plans = PaymentPlan.objects.filter(mode="tranches", application__title__contains="Vielfaltszentrum")
    assert sorted(plans.values_list("year", flat=True)) == [2026]  # the quarterly plan of the Vielfaltszentrum Gießen in its enacted year
    assert Payment.objects.filter(source="tranche").exists()
    assert PaymentRun.objects.filter(executed_at__isnull=False).exists()
    open_run = PaymentRun.objects.get(executed_at__isnull=True)
    assert exports.pain001_validate(exports.sepa_bytes(open_run)) == []
    for totals in ledger_totals().values():  # refunds after a revocation (applications/revocation) count back
        assert totals["committed"] >= totals["paid"] - totals["refunded"]
