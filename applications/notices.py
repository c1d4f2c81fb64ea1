"""Notices (Bescheide) as an outbox: created with the decision, rendered and sent once by a Celery task."""

from decimal import Decimal

from django.db import transaction

from .models import Notice, NoticeKind


def notice_create(*, application, kind: str, user, amount: Decimal | None = None,
                  previous_amount: Decimal | None = None, reasons: str = "") -> Notice:
    """Create the outbox row in the caller's transaction; the task is queued only after commit."""
    notice = Notice.objects.create(
        application=application, kind=kind, amount=amount, previous_amount=previous_amount,
        reasons=reasons.strip(), created_by=user,
    )
    from .tasks import notice_process

    transaction.on_commit(lambda: notice_process.delay(notice.pk))
    return notice


__all__ = ["NoticeKind", "notice_create"]
