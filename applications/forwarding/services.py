"""Weiterleitung (Nr. 12 VV zu § 44 LHO): a WIR-Vielfaltszentrum records the local non-profits it passed Mikroprojekt
money on to. Rules that write, under the application's row lock:

- only a signatory of the organisation, only for an approved application whose line has Mikroprojekte (the part-cap
  `micro_projects` in LineRule.limits), only for a year of its plan;
- each Mikroprojekt at most the part-cap per year (5.000 € in the seed);
- all Mikroprojekte of a year together at most what the application may pass on that year
  (decision_rules.forwarding_year_amount: the Mikroprojekte amount applied for, within the part-cap).
Every entry and removal writes an audit event. Errors carry the field they concern (German message at the field).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from applications import decision_rules
from applications.audit import ApplicationError, actor_name, event_record
from applications.models import Application, Forwarding, Membership, Role
from applications.workflow import FUNDED
from wir_portal.money import format_eur, money


class ForwardingError(ApplicationError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def may_record(user, application: Application) -> bool:
    return user.is_authenticated and Membership.objects.filter(
        user=user, organisation_id=application.organisation_id, role__in=(Role.SIGNATORY, Role.ADMIN)).exists()


def forwarding_years(application: Application) -> list[int]:
    return sorted(p.year for p in application.plan_years.all() if (p.approved_grant or 0) > 0)


def forwarding_figures(application: Application) -> list[dict]:
    """Per plan year: what may be passed on, what is recorded, what is left."""
    allowed = decision_rules.forwarding_year_amount(application)
    recorded = dict(Forwarding.objects.filter(application=application).values("year")
                    .annotate(total=Sum("amount")).values_list("year", "total"))
    return [{"year": y, "allowed": allowed, "recorded": recorded.get(y, Decimal("0.00")),
             "left": allowed - recorded.get(y, Decimal("0.00"))} for y in forwarding_years(application)]


def forwarding_add(*, application: Application, user, year: int, recipient_name: str, recipient_address: str,
                   amount: Decimal, purpose: str, forwarded_on: datetime.date) -> Forwarding:
    from applications.services import _lock

    amount = money(amount)
    with transaction.atomic():
        app = _lock(application)
        if not may_record(user, app):
            raise ForwardingError("Weiterleitungen erfassen zeichnungsberechtigte Personen der Organisation.")
        cap = (app.rule.limits or {}).get("micro_projects")
        if cap is None or app.status not in FUNDED:
            raise ForwardingError("Für dieses Vorhaben sind keine Mikroprojekte zur Weiterleitung bewilligt.")
        if year not in forwarding_years(app):
            raise ForwardingError("Bitte wählen Sie ein bewilligtes Haushaltsjahr des Vorhabens.", "year")
        for field, value, label in (("recipient_name", recipient_name, "den Namen des Empfängers"),
                                    ("recipient_address", recipient_address, "die Anschrift des Empfängers"),
                                    ("purpose", purpose, "den Zweck des Mikroprojekts")):
            if not (value or "").strip():
                raise ForwardingError(f"Bitte geben Sie {label} an.", field)
        if amount <= 0:
            raise ForwardingError("Der Betrag muss größer als 0 sein.", "amount")
        cap = money(Decimal(str(cap)))
        if amount > cap:
            raise ForwardingError(f"Ein Mikroprojekt wird mit höchstens {format_eur(cap)} je Jahr gefördert.",
                                  "amount")
        if forwarded_on.year != year:
            raise ForwardingError(f"Das Datum muss im Haushaltsjahr {year} liegen.", "forwarded_on")
        allowed = decision_rules.forwarding_year_amount(app)
        recorded = (Forwarding.objects.filter(application=app, year=year).aggregate(total=Sum("amount"))["total"]
                    or Decimal("0.00"))
        if recorded + amount > allowed:
            raise ForwardingError(
                f"{year}: Für Mikroprojekte sind {format_eur(allowed)} bewilligt; erfasst sind bereits "
                f"{format_eur(recorded)}, es können noch {format_eur(max(allowed - recorded, Decimal('0')))} "
                "weitergeleitet werden.", "amount")
        forwarding = Forwarding.objects.create(
            application=app, year=year, recipient_name=recipient_name.strip(),
            recipient_address=recipient_address.strip(), amount=amount, purpose=purpose.strip(),
            forwarded_on=forwarded_on, created_by=user, created_by_name=actor_name(user))
        event_record(application=app, user=user, action="forwarding_add", amount=amount,
                     reason=f"Weiterleitung {year} an {forwarding.recipient_name}: {forwarding.purpose}"[:500])
        return forwarding


def forwarding_remove(*, forwarding: Forwarding, user) -> None:
    """A wrong entry is removed by the recipient of the grant (the audit keeps a record of it)."""
    from applications.services import _lock

    with transaction.atomic():
        app = _lock(forwarding.application)
        if not may_record(user, app):
            raise ForwardingError("Weiterleitungen bearbeiten zeichnungsberechtigte Personen der Organisation.")
        current = Forwarding.objects.select_for_update().filter(pk=forwarding.pk, application=app).first()
        if current is None:
            return
        event_record(application=app, user=user, action="forwarding_remove", amount=current.amount,
                     reason=f"Weiterleitung {current.year} an {current.recipient_name} gelöscht"[:500])
        current.delete()
