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
    # the quarterly plan of the Vielfaltszentrum Gießen for every year of its period, stated in its notice
    assert sorted(plans.values_list("year", flat=True)) == [2026, 2027, 2028, 2029, 2030]
    assert Payment.objects.filter(source="tranche").exists()
    assert PaymentRun.objects.filter(executed_at__isnull=False).exists()
    open_run = PaymentRun.objects.get(executed_at__isnull=True)
    assert exports.pain001_validate(exports.sepa_bytes(open_run)) == []
    for totals in ledger_totals().values():  # refunds after a revocation (applications/revocation) count back
        assert totals["committed"] >= totals["paid"] - totals["refunded"]


def test_demo_notice_states_the_tranche_plan(seeded, django_capture_on_commit_callbacks):
    from applications.demo import seed_demo
    from applications.models import Notice, NoticeKind

    with django_capture_on_commit_callbacks(execute=True):
        seed_demo()
    notice = Notice.objects.get(kind=NoticeKind.APPROVAL,
                                application__title="[Demo] WIR-Vielfaltszentrum Landkreis Gießen 2026–2030")
    plan = notice.context["payment_plan"]
    assert [(p["year"], p["mode"], p["tranches"]) for p in plan] == [(y, "tranches", 4) for y in range(2026, 2031)]
    assert plan[0]["dates"] == ["01.01.2026", "01.04.2026", "01.07.2026", "01.10.2026"]
    assert [p["enacted"] for p in plan] == [True, True, False, False, False]
