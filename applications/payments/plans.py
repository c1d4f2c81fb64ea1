"""The dates of a tranche plan: a pure function, shared by the payment services and the approval notice's text
(notices/documents.py may import this module, never the payment services)."""

import datetime


def tranche_due_dates(*, year: int, tranches: int) -> list[datetime.date]:
    """Evenly spread over the year from 1 January: 4 → 1.1., 1.4., 1.7., 1.10."""
    step = 12 // tranches if 12 % tranches == 0 else 12 / tranches
    return [datetime.date(year, 1 + int(i * step), 1) for i in range(tranches)]
