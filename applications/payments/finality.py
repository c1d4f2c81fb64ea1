"""When an approval becomes final (bestandskräftig) — the one question the payment side asks about it.

The answer is the decisions' (applications/decision_rules.py): the approval notice counts as received on the day
§ 41 Abs. 2 HVwVfG names, the one-month deadline for an action (§ 74 VwGO) moved off weekends and holidays, final
the day after — or at once when the applicant has waived the legal remedy. No sent approval notice: not final.
"""

from __future__ import annotations

import datetime

from applications import decision_rules
from applications.models import Application


def approval_final_on(application: Application) -> datetime.date | None:
    """The first day on which the approval is final, or None while no approval notice has been sent."""
    return decision_rules.approval_final_on(application)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, or the month's last day (used for "spend within two months")."""
    import calendar

    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
