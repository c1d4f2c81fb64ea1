"""When an approval becomes final (bestandskräftig) — the one question the payment side asks about it.

Stand-in until the decisions work ("bestandskräftig ab", Rechtsbehelfsverzicht) is merged: an approval notice sent
electronically counts as received on the third day after sending (§ 41 Abs. 2 HVwVfG) and is final one month later
(§ 74 VwGO), unless an action is brought. Conservative: no sent approval notice, no finality. The lead points this
function at the decisions' implementation; everything in payments asks only this function.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from applications.models import Application, NoticeKind, NoticeStatus

RECEIPT_DAYS = 3


def _add_months(day: datetime.date, months: int) -> datetime.date:
    import calendar

    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def approval_final_on(application: Application) -> datetime.date | None:
    """The first day on which the approval is final, or None while no approval notice has been sent."""
    sent = (
        application.notices.filter(kind=NoticeKind.APPROVAL, status=NoticeStatus.SENT, sent_at__isnull=False)
        .order_by("sent_at").values_list("sent_at", flat=True).first()
    )
    if sent is None:
        return None
    received = timezone.localdate(sent) + datetime.timedelta(days=RECEIPT_DAYS)
    return _add_months(received, 1) + datetime.timedelta(days=1)
