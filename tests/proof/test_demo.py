"""The demo data contain every state of the proof of use the issue asks for."""

from applications.models import (
    CheckOutcome,
    Expense,
    NoticeKind,
    Proof,
    ProofCheck,
    ProofReminder,
    ProofStatus,
)
from applications.proof import services


def test_demo_proofs(seeded, django_capture_on_commit_callbacks):
    from applications.demo import seed_demo

    with django_capture_on_commit_callbacks(execute=True):
        seed_demo()
    demo = Proof.objects.filter(application__title__startswith="[Demo]")
    in_progress = demo.get(application__title__contains="Hochtaunuskreis", year_from=2026, kind="interim")
    assert in_progress.status == ProofStatus.OPEN and Expense.objects.filter(application=in_progress.application).count() >= 20
    interim = demo.get(application__title__contains="Vielfaltszentrum Landkreis Gießen", kind="interim", year_from=2026)
    assert interim.status == ProofStatus.SUBMITTED and interim.notice.kind == NoticeKind.PROOF_RECEIPT
    overdue = demo.get(application__title__contains="Frankfurt am Main 2026")
    assert services.is_overdue(overdue)
    assert set(ProofReminder.objects.filter(proof=overdue).values_list("kind", flat=True)) == {
        "before", "due", "overdue_1", "overdue_2"}
    closed = ProofCheck.objects.get(proof__application__title="[Demo] Willkommenslotsen im Landkreis Gießen 2026")
    assert closed.outcome == CheckOutcome.CLOSED and closed.notice.kind == NoticeKind.PROOF_CHECK
    repayment = ProofCheck.objects.get(proof__application__title__contains="Bad Homburg")
    assert repayment.outcome == CheckOutcome.REPAYMENT and repayment.repayment > 0
    amount, reasons = services.proof_repayment(repayment.proof.application)
    assert amount == repayment.repayment and "zu erstatten" in reasons
