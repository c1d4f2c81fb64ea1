"""The demo data of the funding period 2026–2030 (applications/demo.py): Vielfaltszentren approved for the whole
period with VE bookings, and a Migrantenorganisation project over two budget years."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from applications.models import Application
from applications.workflow import Status
from funding.models import LedgerEntry, LedgerSource

pytestmark = pytest.mark.django_db


def _bookings(app):
    return sorted((e.rule.programme_year.year, e.source, e.amount)
                  for e in LedgerEntry.objects.filter(application=app).select_related("rule__programme_year"))


def test_demo_has_period_approvals_with_ve_bookings_and_a_two_year_mo_project(seeded):
    call_command("seed", "--demo")
    centres = Application.objects.filter(rule__line__code="vielfaltszentren", status=Status.APPROVED)
    assert sorted(a.organisation.name for a in centres) == ["Bad Homburg v. d. Höhe", "Hochtaunuskreis",
                                                           "Landkreis Gießen"]
    hochtaunus = centres.get(organisation__name="Hochtaunuskreis")
    assert hochtaunus.approved_amount == Decimal("600000.00")  # the public figure: 600.000 € for 2026–2030
    a, v = LedgerSource.ALLOCATION, LedgerSource.AUTHORITY
    assert _bookings(hochtaunus) == [(2026, a, Decimal("120000.00")), (2027, a, Decimal("120000.00")),
                                     (2028, v, Decimal("120000.00")), (2029, v, Decimal("120000.00")),
                                     (2030, v, Decimal("120000.00"))]
    assert Application.objects.filter(rule__line__code="vielfaltszentren", status=Status.IN_REVIEW).exists()
    mo = Application.objects.get(title="[Demo] Nachbarschaftsküche und Vereinsbüro 2027–2028")
    assert mo.status == Status.APPROVED
    assert _bookings(mo) == [(2027, a, Decimal("10200.00")), (2028, v, Decimal("10200.00"))]
