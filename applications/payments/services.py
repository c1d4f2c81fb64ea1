"""The payment side of an approval: Mittelabruf, tranches, four-eyes payment orders, payment runs, unused money.

Every rule that writes lives here; views, admin and tasks call these functions. Money is Decimal. Lock order
(the one for every money path, see ARCHITECTURE.md): payment run → application → line rule (the rule through
funding.services.budget_pay). A request is checked against approved − paid − pending under the application's
row lock, so parallel requests serialise and can never together exceed the approval.
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Count, DecimalField, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from applications.audit import ApplicationError, actor_name, event_record
from applications.models import (
    Application,
    Event,
    Membership,
    Payment,
    PaymentMode,
    PaymentPlan,
    PaymentRun,
    PaymentSource,
    PaymentStatus,
    Role,
    validate_iban,
)
from applications.payments.finality import _add_months, approval_final_on
from applications.payments.plans import tranche_due_dates  # noqa: F401 - part of this module's API
from applications.workflow import FUNDED
from funding import services as budget
from funding.models import LedgerEntry, LedgerKind, LineRule
from wir_portal import mail
from wir_portal.money import format_eur, money

ZERO = Decimal("0.00")
_MONEY = DecimalField(max_digits=14, decimal_places=2)
PENDING = (PaymentStatus.REQUESTED, PaymentStatus.CONFIRMED, PaymentStatus.ORDERED)
SPEND_MONTHS = 2  # ANBest-P 1.4: requested only as far as needed within two months of the payout
REMINDER_DAYS = 14  # the reminder goes out this many days before the money must be spent


class PaymentError(ApplicationError):
    """A payment rule refused the request. German message; `field` names the form field it belongs to."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- who may do what ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PaymentAction:
    action: str
    label: str
    permissions: tuple[str, ...] = ()  # staff: any of these Django permissions
    signatory: bool = False  # applicant: a signatory (or admin) of the payment's organisation


PAYMENT_ACTIONS: dict[str, PaymentAction] = {
    a.action: a
    for a in [
        PaymentAction("payment_request", "Mittel abrufen", signatory=True),
        PaymentAction("payment_spent", "Verwendung melden", signatory=True),
        PaymentAction("payment_confirm", "Sachlich richtig zeichnen", ("applications.confirm_payment",)),
        PaymentAction("payment_order", "Auszahlung anordnen", ("applications.order_payment",)),
        PaymentAction("payment_refuse", "Auszahlung ablehnen",
                      ("applications.confirm_payment", "applications.order_payment")),
        PaymentAction("payment_run", "In Zahllauf aufnehmen", ("applications.order_payment",)),
        PaymentAction("payment_paid", "Zahllauf als ausgeführt kennzeichnen", ("applications.order_payment",)),
        PaymentAction("payment_plan", "Auszahlungsplan festlegen", ("applications.confirm_payment",)),
        PaymentAction("payment_retention_release", "Einbehalt freigeben", ("applications.confirm_payment",)),
    ]
}


def may(user, action: str, *, organisation_id: int | None = None) -> bool:
    spec = PAYMENT_ACTIONS[action]
    if not user.is_authenticated:
        return False
    if spec.signatory:
        return organisation_id is not None and Membership.objects.filter(
            user=user, organisation_id=organisation_id, role__in=(Role.SIGNATORY, Role.ADMIN)
        ).exists()
    return user.is_staff and any(user.has_perm(p) for p in spec.permissions)


def _require(user, action: str, *, organisation_id: int | None = None) -> None:
    if not may(user, action, organisation_id=organisation_id):
        raise PaymentError(f"Sie haben keine Berechtigung für „{PAYMENT_ACTIONS[action].label}“.")


# --- mail (one function: the lead reroutes it to the outbox) ----------------------------------------------------

def _mail(*, to: list[str], subject: str, template: str, context: dict, application=None) -> None:
    """Queue the mail in the outbox in the step's transaction: a rolled-back step mails nothing, a mail server that
    is down only delays it."""
    recipients = sorted({t for t in to if t})
    if not recipients:
        return
    mail.send_templated(to=recipients, subject=mail.subject_text(subject, limit=140), template=template,
                        context=context, application=application)


def _recipients(application: Application) -> list[str]:
    return [application.organisation.email, application.contact_email]


# --- figures ---------------------------------------------------------------------------------------------------

@dataclass
class YearFigures:
    year: int
    approved: Decimal = ZERO
    paid: Decimal = ZERO
    pending: Decimal = ZERO
    retention: Decimal = ZERO
    rule_id: int | None = None

    @property
    def open(self) -> Decimal:
        """What may still be requested: approved − retention − paid − pending, never below 0."""
        return max(self.approved - self.retention - self.paid - self.pending, ZERO)


def _committed_expr():
    return Coalesce(Sum(Case(
        When(kind=LedgerKind.COMMITMENT, then=F("amount")), When(kind=LedgerKind.RELEASE, then=-F("amount")),
        default=Value(ZERO), output_field=_MONEY,
    )), Value(ZERO), output_field=_MONEY)


def year_figures(application: Application) -> dict[int, YearFigures]:
    """Approved (committed in the ledger), paid (PAYMENT entries), pending (open payments), retained per year.
    Three queries, whatever the number of years or payments."""
    figures: dict[int, YearFigures] = {}
    rows = (
        LedgerEntry.objects.filter(application_id=application.pk).order_by()
        .values("rule_id", "rule__programme_year__year", "rule__payment_retention_percent")
        .annotate(committed=_committed_expr(),
                  paid=Coalesce(Sum("amount", filter=Q(kind=LedgerKind.PAYMENT)), Value(ZERO), output_field=_MONEY))
    )
    released = set(
        PaymentPlan.objects.filter(application_id=application.pk, retention_released_at__isnull=False)
        .values_list("year", flat=True)
    )
    for row in rows:
        year = row["rule__programme_year__year"]
        f = figures.setdefault(year, YearFigures(year=year, rule_id=row["rule_id"]))
        f.approved += row["committed"]
        f.paid += row["paid"]
        percent = row["rule__payment_retention_percent"] or ZERO
        if percent and year not in released:
            f.retention = money(f.approved * percent / 100)
    for row in (Payment.objects.filter(application_id=application.pk, status__in=PENDING).order_by()
                .values("year").annotate(total=Sum("amount"))):
        f = figures.setdefault(row["year"], YearFigures(year=row["year"]))
        f.pending += row["total"]
    return dict(sorted(figures.items()))


def _lock(application_id: int) -> Application:
    return Application.objects.select_for_update().select_related("organisation", "rule__line").get(pk=application_id)


def _valid_iban(organisation) -> str:
    iban = (organisation.iban or "").replace(" ", "").upper()
    try:
        if not iban:
            raise ValidationError("leer")
        validate_iban(iban)
    except ValidationError:
        raise PaymentError(
            f"Für „{organisation.name}“ ist keine gültige IBAN hinterlegt. Bitte tragen Sie die Bankverbindung "
            "der Organisation ein (Organisationsdaten); ohne sie kann nichts ausgezahlt werden.", field="iban",
        ) from None
    return iban


def _check_final(application: Application, *, today: datetime.date | None = None) -> datetime.date:
    today = today or timezone.localdate()
    final_on = approval_final_on(application)
    if final_on is None:
        raise PaymentError("Mittel können erst abgerufen werden, wenn der Zuwendungsbescheid zugestellt und "
                           "bestandskräftig ist.")
    if final_on > today:
        raise PaymentError(
            f"Der Zuwendungsbescheid wird am {final_on:%d.%m.%Y} bestandskräftig; erst dann können Mittel "
            "ausgezahlt werden (früher nur bei einem Verzicht auf Rechtsbehelfe)."
        )
    return final_on


# --- the applicant's request (Mittelabruf) -----------------------------------------------------------------------

def payment_request(*, application: Application, user, year: int, amount: Decimal, need_declared: bool) -> Payment:
    """A signatory requests money for one year of a final approval; never more than approved − paid − pending."""
    _require(user, "payment_request", organisation_id=application.organisation_id)
    if not need_declared:
        raise PaymentError("Bitte bestätigen Sie, dass die Mittel binnen zwei Monaten nach der Auszahlung für "
                           "fällige Zahlungen benötigt werden.", field="need_declared")
    amount = money(amount)
    if amount <= 0:
        raise PaymentError("Der Betrag muss größer als 0 sein.", field="amount")
    with transaction.atomic():
        application = _lock(application.pk)
        if application.status not in FUNDED:
            raise PaymentError("Mittel können nur für bewilligte Anträge abgerufen werden.")
        figures = year_figures(application)
        if year not in figures or figures[year].approved <= 0:
            years = ", ".join(str(y) for y, f in figures.items() if f.approved > 0) or "keines"
            raise PaymentError(f"Für {year} ist nichts bewilligt. Bewilligte Haushaltsjahre: {years}.", field="year")
        _check_final(application)
        iban = _valid_iban(application.organisation)
        f = figures[year]
        if amount > f.open:
            raise PaymentError(
                f"Es können für {year} höchstens {format_eur(f.open)} abgerufen werden (bewilligt "
                f"{format_eur(f.approved)}, ausgezahlt {format_eur(f.paid)}, beantragt {format_eur(f.pending)}"
                + (f", Einbehalt bis zum Verwendungsnachweis {format_eur(f.retention)}" if f.retention else "")
                + ").", field="amount",
            )
        payment = Payment.objects.create(
            application=application, year=year, amount=amount, need_declared=True, iban=iban,
            account_holder=application.organisation.account_holder or application.organisation.name,
            requested_by=user, requested_by_name=actor_name(user),
        )
        event_record(application=application, user=user, action="payment_request", amount=amount,
                     reason=f"Mittelabruf {year}")
        _mail(to=_recipients(application), subject=f"Mittelabruf zu {application.file_number} eingegangen",
              template="payment_received", context={"application": application, "payment": payment})
        return payment


# --- four eyes: confirm (sachlich richtig), order (anordnen), refuse ---------------------------------------------

def _lock_payment(payment_id: int, application_id: int) -> tuple[Application, Payment]:
    application = _lock(application_id)
    return application, Payment.objects.select_for_update().get(pk=payment_id, application_id=application_id)


def payment_confirm(*, payment: Payment, user) -> Payment:
    _require(user, "payment_confirm")
    with transaction.atomic():
        application, payment = _lock_payment(payment.pk, payment.application_id)
        if payment.status != PaymentStatus.REQUESTED:
            raise PaymentError(f"Die Auszahlung ist „{payment.get_status_display()}“ und kann nicht mehr "
                               "sachlich richtig gezeichnet werden.")
        payment.status, payment.confirmed_at = PaymentStatus.CONFIRMED, timezone.now()
        payment.confirmed_by, payment.confirmed_by_name = user, actor_name(user)
        payment.save(update_fields=["status", "confirmed_at", "confirmed_by", "confirmed_by_name"])
        event_record(application=application, user=user, action="payment_confirm", amount=payment.amount,
                     reason=f"Auszahlung {payment.pk} ({payment.year})", visible_to_applicant=False)
        return payment


def payment_order(*, payment: Payment, user) -> Payment:
    """Haushalt orders a confirmed payment; never the person who confirmed it (four eyes)."""
    _require(user, "payment_order")
    with transaction.atomic():
        application, payment = _lock_payment(payment.pk, payment.application_id)
        if payment.status != PaymentStatus.CONFIRMED:
            raise PaymentError(f"Nur sachlich richtig gezeichnete Auszahlungen können angeordnet werden "
                               f"(Status: „{payment.get_status_display()}“).")
        if payment.confirmed_by_id == user.pk:
            raise PaymentError("Vier-Augen-Prinzip: Wer die Auszahlung sachlich richtig gezeichnet hat, darf sie "
                               "nicht selbst anordnen.")
        _check_final(application)
        payment.iban = _valid_iban(application.organisation)
        payment.status, payment.ordered_at = PaymentStatus.ORDERED, timezone.now()
        payment.ordered_by, payment.ordered_by_name = user, actor_name(user)
        payment.save(update_fields=["status", "ordered_at", "ordered_by", "ordered_by_name", "iban"])
        event_record(application=application, user=user, action="payment_order", amount=payment.amount,
                     reason=f"Auszahlung {payment.pk} ({payment.year})", visible_to_applicant=False)
        return payment


def payment_refuse(*, payment: Payment, user, reason: str) -> Payment:
    _require(user, "payment_refuse")
    reason = (reason or "").strip()
    if not reason:
        raise PaymentError("Bitte begründen Sie die Ablehnung (die Begründung sehen die Antragstellenden).",
                           field="reason")
    with transaction.atomic():
        application, payment = _lock_payment(payment.pk, payment.application_id)
        if payment.status not in PENDING or payment.run_id:
            raise PaymentError("Diese Auszahlung kann nicht mehr abgelehnt werden"
                               + (" (sie ist bereits in einem Zahllauf)." if payment.run_id else "."))
        payment.status, payment.refused_at = PaymentStatus.REFUSED, timezone.now()
        payment.refused_by_name, payment.refusal_reason = actor_name(user), reason
        payment.save(update_fields=["status", "refused_at", "refused_by_name", "refusal_reason"])
        event_record(application=application, user=user, action="payment_refuse", amount=payment.amount,
                     reason=reason)
        _mail(to=_recipients(application), subject=f"Mittelabruf zu {application.file_number} abgelehnt",
              template="payment_refused", context={"application": application, "payment": payment})
        return payment


# --- payment plan and tranches ----------------------------------------------------------------------------------

def payment_plan_set(*, application: Application, user, year: int, mode: str, tranches: int = 4) -> PaymentPlan:
    _require(user, "payment_plan")
    if mode not in PaymentMode.values:
        raise PaymentError("Unbekannte Auszahlungsweise.", field="mode")
    if not 1 <= int(tranches) <= 12:
        raise PaymentError("Die Anzahl der Raten muss zwischen 1 und 12 liegen.", field="tranches")
    with transaction.atomic():
        application = _lock(application.pk)
        if application.payments.filter(source=PaymentSource.TRANCHE, year=year).exists():
            raise PaymentError("Für dieses Jahr sind bereits Raten fällig geworden; der Plan kann nicht mehr "
                               "geändert werden.")
        plan, _ = PaymentPlan.objects.update_or_create(
            application=application, year=year, defaults={"mode": mode, "tranches": int(tranches)})
        event_record(application=application, user=user, action="payment_plan", visible_to_applicant=True,
                     reason=f"{year}: {plan.get_mode_display()}"
                     + (f", {plan.tranches} Raten" if mode == PaymentMode.TRANCHES else ""))
        return plan


def tranche_amounts(total: Decimal, tranches: int) -> list[Decimal]:
    """Equal instalments in cents; the last one takes the rounding remainder."""
    share = money(total / tranches)
    amounts = [share] * (tranches - 1)
    return [*amounts, money(total - sum(amounts, ZERO))]


def tranches_fall_due(*, today: datetime.date | None = None) -> int:
    """Beat task: every tranche whose date has come, of a final approval, becomes a requested payment — once
    (unique per application, year and tranche; the application's row lock serialises two runs of the task)."""
    today = today or timezone.localdate()
    created = 0
    plans = PaymentPlan.objects.filter(mode=PaymentMode.TRANCHES, application__status__in=FUNDED).order_by("application_id", "year")
    for plan in plans.iterator(chunk_size=500):
        dates = tranche_due_dates(year=plan.year, tranches=plan.tranches)
        if dates[0] > today:
            continue
        with transaction.atomic():
            application = _lock(plan.application_id)
            final_on = approval_final_on(application)
            if final_on is None or final_on > today:
                continue
            figures = year_figures(application).get(plan.year)
            if figures is None or figures.approved <= 0:
                continue
            existing = set(application.payments.filter(year=plan.year, tranche_no__isnull=False)
                           .values_list("tranche_no", flat=True))
            base = figures.approved - figures.retention
            for no, (due, share) in enumerate(zip(dates, tranche_amounts(base, plan.tranches), strict=True), start=1):
                if no in existing or due > today:
                    continue
                amount = min(share, year_figures(application)[plan.year].open)
                if amount <= 0:
                    continue
                try:
                    iban = _valid_iban(application.organisation)
                except PaymentError:
                    iban = ""  # Sachbearbeitung sees it and the order is refused until the IBAN is valid
                Payment.objects.create(
                    application=application, year=plan.year, amount=amount, source=PaymentSource.TRANCHE,
                    tranche_no=no, need_declared=True, iban=iban, requested_by_name="System (Rate fällig)",
                    account_holder=application.organisation.account_holder or application.organisation.name,
                )
                event_record(application=application, user=None, action="payment_tranche_due", amount=amount,
                             reason=f"Rate {no}/{plan.tranches} {plan.year}, fällig am {max(due, final_on):%d.%m.%Y}")
                created += 1
    return created


def retention_release(*, application: Application, user, year: int) -> PaymentPlan:
    """After the proof of use is accepted the retained share may be requested."""
    _require(user, "payment_retention_release")
    with transaction.atomic():
        application = _lock(application.pk)
        plan, _ = PaymentPlan.objects.get_or_create(application=application, year=year)
        if plan.retention_released_at:
            raise PaymentError("Der Einbehalt ist bereits freigegeben.")
        plan.retention_released_at = timezone.now()
        plan.save(update_fields=["retention_released_at"])
        event_record(application=application, user=user, action="payment_retention_release", reason=str(year))
        return plan


# --- payment runs -----------------------------------------------------------------------------------------------

def run_create(*, user, payment_ids, execution_date: datetime.date | None = None) -> PaymentRun:
    """Collect ordered payments that are in no run yet into a new run."""
    _require(user, "payment_run")
    execution_date = execution_date or (timezone.localdate() + datetime.timedelta(days=1))
    with transaction.atomic():
        payments = list(Payment.objects.select_for_update().filter(
            pk__in=list(payment_ids), status=PaymentStatus.ORDERED, run__isnull=True).order_by("pk"))
        if not payments:
            raise PaymentError("Keine angeordneten Auszahlungen ausgewählt, die noch in keinem Zahllauf sind.")
        now = timezone.now()
        run = PaymentRun.objects.create(
            number=f"neu-{secrets.token_hex(8)}", execution_date=execution_date, created_at=now, created_by=user,
            created_by_name=actor_name(user), total=sum((p.amount for p in payments), ZERO), count=len(payments),
        )
        run.number = f"WIR-ZL-{timezone.localdate(now).year}-{run.pk:05d}"  # unique by the primary key, no race
        run.save(update_fields=["number"])
        Payment.objects.filter(pk__in=[p.pk for p in payments]).update(run=run)
        Event.objects.bulk_create([
            Event(application_id=p.application_id, action="payment_run", actor=user, actor_name=actor_name(user),
                  amount=p.amount, reason=f"Zahllauf {run.number}", visible_to_applicant=False, created_at=now)
            for p in payments
        ])
        return run


def run_execute(*, run: PaymentRun, user) -> PaymentRun:
    """Mark the run executed: every payment becomes a PAYMENT ledger entry (budget_pay locks the rule row).
    Once only: the run row is locked and a second call is refused."""
    _require(user, "payment_paid")
    with transaction.atomic():
        run = PaymentRun.objects.select_for_update().get(pk=run.pk)
        if run.executed_at:
            raise PaymentError(f"Der Zahllauf {run.number} wurde bereits am "
                               f"{timezone.localtime(run.executed_at):%d.%m.%Y} als ausgeführt gekennzeichnet.")
        paid_on = run.execution_date
        spend_by = _add_months(paid_on, SPEND_MONTHS)
        payments = list(run.payments.select_related("application__rule").order_by("application_id", "pk"))
        rules = {(r.line_id, r.programme_year.year): r for r in LineRule.objects.select_related("programme_year")
                 .filter(line_id__in={p.application.rule.line_id for p in payments})}
        for p in payments:
            if p.status != PaymentStatus.ORDERED:
                raise PaymentError(f"Auszahlung {p.pk} ist nicht angeordnet (Status „{p.get_status_display()}“).")
            application = _lock(p.application_id)
            rule = rules[(application.rule.line_id, p.year)]
            try:
                entry = budget.budget_pay(rule=rule, application=application, amount=p.amount, user=user,
                                          reason=f"Zahllauf {run.number}, Auszahlung {p.pk}")
            except budget.BudgetError as exc:
                raise PaymentError(f"{application.file_number}: {exc}") from exc
            p.status, p.ledger_entry, p.paid_on, p.spend_by = PaymentStatus.PAID, entry, paid_on, spend_by
            p.save(update_fields=["status", "ledger_entry", "paid_on", "spend_by"])
            event_record(application=application, user=user, action="payment_paid", amount=p.amount,
                         reason=f"Zahllauf {run.number}; zu verwenden bis {spend_by:%d.%m.%Y}")
            _mail(to=_recipients(application), subject=f"Auszahlung zu {application.file_number}",
                  template="payment_paid", context={"application": application, "payment": p})
        run.executed_at, run.executed_by, run.executed_by_name = timezone.now(), user, actor_name(user)
        run.save(update_fields=["executed_at", "executed_by", "executed_by_name"])
        return run


# --- unused money -----------------------------------------------------------------------------------------------

def payment_spent_report(*, payment: Payment, user) -> Payment:
    """The recipient reports the paid money as spent (Mitteilung)."""
    _require(user, "payment_spent", organisation_id=payment.application.organisation_id)
    with transaction.atomic():
        application, payment = _lock_payment(payment.pk, payment.application_id)
        if payment.status != PaymentStatus.PAID:
            raise PaymentError("Nur ausgezahlte Mittel können als verwendet gemeldet werden.")
        if payment.spent_reported_at:
            raise PaymentError("Die Verwendung ist bereits gemeldet.")
        payment.spent_reported_at = timezone.now()
        payment.save(update_fields=["spent_reported_at"])
        event_record(application=application, user=user, action="payment_spent", amount=payment.amount,
                     reason=f"Auszahlung {payment.pk}" + (f" vom {payment.paid_on:%d.%m.%Y}" if payment.paid_on else ""))
        return payment


def spend_reminders_send(*, today: datetime.date | None = None) -> int:
    """Beat task: remind recipients whose paid money must be spent within REMINDER_DAYS — once per payment."""
    today = today or timezone.localdate()
    sent = 0
    due = Payment.objects.filter(status=PaymentStatus.PAID, spent_reported_at__isnull=True,
                                 reminder_sent_at__isnull=True, spend_by__gte=today,
                                 spend_by__lte=today + datetime.timedelta(days=REMINDER_DAYS))
    for pk in due.values_list("pk", flat=True).iterator(chunk_size=500):
        with transaction.atomic():
            payment = (Payment.objects.select_for_update().select_related("application__organisation")
                       .filter(pk=pk, reminder_sent_at__isnull=True).first())
            if payment is None:
                continue
            payment.reminder_sent_at = timezone.now()
            payment.save(update_fields=["reminder_sent_at"])
            application = payment.application
            event_record(application=application, user=None, action="payment_reminder", amount=payment.amount,
                         reason=f"zu verwenden bis {payment.spend_by:%d.%m.%Y}")
            _mail(to=_recipients(application), subject=f"Erinnerung: Mittel zu {application.file_number} "
                  f"bis {payment.spend_by:%d.%m.%Y} verwenden", template="payment_reminder",
                  context={"application": application, "payment": payment})
            sent += 1
    return sent


def overdue_unspent(*, today: datetime.date | None = None):
    """Payments not reported as spent in time (input for interest under § 49a Abs. 4 HVwVfG)."""
    today = today or timezone.localdate()
    return Payment.objects.filter(status=PaymentStatus.PAID, spend_by__lt=today).filter(
        Q(spent_reported_at__isnull=True) | Q(spent_reported_at__date__gt=F("spend_by")))


def open_requests_summary() -> dict:
    return Payment.objects.filter(status__in=PENDING).aggregate(count=Count("id"), total=Sum("amount"))


__all__ = ["PAYMENT_ACTIONS", "PaymentError", "YearFigures", "may", "payment_request", "payment_confirm",
           "payment_order", "payment_refuse", "payment_plan_set", "tranches_fall_due", "run_create", "run_execute",
           "payment_spent_report", "spend_reminders_send", "overdue_unspent", "year_figures"]
