"""The demo contains the four cases of issue 15, built through the revocation services."""

from decimal import Decimal as D

from applications.models import (
    ClaimStatus,
    NoticeKind,
    NoticeStatus,
    RefundClaim,
    Revocation,
    RevocationGround,
    RevocationStatus,
)


def test_demo_revocations(seeded, django_capture_on_commit_callbacks):
    from applications.demo import seed_demo

    with django_capture_on_commit_callbacks(execute=True):
        seed_demo()
    demo = Revocation.objects.filter(application__title__startswith="[Demo]")
    assert demo.filter(status=RevocationStatus.HEARING, hearing_notice__isnull=False).count() == 1
    partial = demo.get(application__title="[Demo] WIR-Vielfaltszentrum Landkreis Gießen 2025")
    assert partial.status == RevocationStatus.DECIDED and partial.refund_total == D("8000.00")
    assert partial.claim.status == ClaimStatus.OPEN and partial.claim.interest_from is not None
    closed = RefundClaim.objects.get(application__file_number="WIR-2025-MO-9003")
    assert closed.status == ClaimStatus.SETTLED and closed.payments.count() == 2
    no_proof = demo.get(ground=RevocationGround.NO_PROOF)
    assert no_proof.revoked_total == no_proof.application.plan_years.get().requested_grant == D("12000.00")
    assert no_proof.application.approved_amount == D("0.00")
    # every notice of the proceedings rendered (the court is known for each recipient)
    kinds = {NoticeKind.HEARING, NoticeKind.REVOCATION}
    notices = [n for rv in demo for n in (rv.hearing_notice, rv.decision_notice) if n is not None]
    assert {n.kind for n in notices} == kinds
    assert all(n.status == NoticeStatus.SENT for n in notices), [(n.kind, n.last_error) for n in notices]
