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
from django.db import connection, transaction
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
from funding.models import LedgerEntry, LedgerKind, LineRule, ProgrammeYear
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
        PaymentAction("payment_retention_release", "Einbehalt freigeben", ("applications.order_payment",)),
        PaymentAction("payment_retention_propose", "Freigabe des Einbehalts vorschlagen",
                      ("applications.confirm_payment",)),
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
    enacted: bool = True  # the year's budget is enacted; before that the approval is booked against the VE

    @property
    def open(self) -> Decimal:
        """What may still be requested: approved − retention − paid − pending, never below 0 — and nothing while
        the year's budget is not enacted (payments only against the allocation, ARCHITECTURE.md invariants)."""
        if not self.enacted:
            return ZERO
        return max(self.approved - self.retention - self.paid - self.pending, ZERO)

    @property
    def not_requestable_reason(self) -> str:
        """Short German text for the page's "Noch abrufbar" column when the year cannot be requested at all."""
        return "" if self.enacted else f"noch nicht abrufbar (Haushalt {self.year} noch nicht beschlossen)"


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
        .values("rule_id", "rule__programme_year__year", "rule__programme_year__budget_enacted",
                "rule__payment_retention_percent")
        .annotate(committed=_committed_expr(),
                  paid=Coalesce(Sum("amount", filter=Q(kind=LedgerKind.PAYMENT)), Value(ZERO), output_field=_MONEY))
    )
    released = set(
        PaymentPlan.objects.filter(application_id=application.pk, retention_released_at__isnull=False)
        .values_list("year", flat=True)
    )
    for row in rows:
        year = row["rule__programme_year__year"]
        f = figures.setdefault(year, YearFigures(year=year, rule_id=row["rule_id"],
                                                 enacted=row["rule__programme_year__budget_enacted"]))
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

def not_enacted_message(year: int) -> str:
    return (f"Für {year} können noch keine Mittel abgerufen werden: Das Haushaltsjahr {year} ist noch nicht in Kraft "
            f"(der Haushalt {year} ist noch nicht beschlossen). Die Bewilligung für {year} ist gegen die "
            "Verpflichtungsermächtigung gebucht; die Mittel sind erst nach Verabschiedung des Haushalts abrufbar.")


def earliest_request_on(application: Application, year: int) -> datetime.date:
    """The first day a request for `year` may be made: two months before the year's part of the project period
    starts (1 January of the year, or the later project start) — money may be requested only as far as it is
    needed within two months (Nr. 1.4 ANBest-P / ANBest-GK). For a project over the calendar year: 1 November of
    the year before."""
    start = datetime.date(year, 1, 1)
    if application.period_start and application.period_start > start:
        start = application.period_start
    return _add_months(start, -SPEND_MONTHS)


def payment_request(*, application: Application, user, year: int, amount: Decimal, need_declared: bool,
                    today: datetime.date | None = None) -> Payment:
    """A signatory requests money for one year of a final approval; never more than approved − paid − pending,
    only for a year whose budget is enacted (payments only against the allocation) and not earlier than two months
    before the year's project period starts (`earliest_request_on`)."""
    today = today or timezone.localdate()
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
        if not figures[year].enacted:
            raise PaymentError(not_enacted_message(year), field="year")
        earliest = earliest_request_on(application, year)
        if today < earliest:
            raise PaymentError(
                f"Mittel für {year} können frühestens ab dem {earliest:%d.%m.%Y} abgerufen werden: Abgerufen werden "
                "darf nur, was binnen zwei Monaten nach der Auszahlung für fällige Zahlungen benötigt wird "
                "(Nr. 1.4 ANBest-P / ANBest-GK).", field="year")
        _check_final(application, today=today)
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
        if not ProgrammeYear.objects.filter(year=payment.year, budget_enacted=True).exists():
            raise PaymentError(not_enacted_message(payment.year))
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
            if figures is None or figures.approved <= 0 or not figures.enacted:
                continue  # a year booked against the VE: its tranches fall due once its budget is enacted
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


def retention_release(application: Application, *, by, reason: str,
                      years: list[int] | None = None) -> list[PaymentPlan]:
    """Release the share retained until the proof of use is accepted (Einbehalt), so it can be requested.

    The one entry point for the proof of use (called when the final proof is accepted; the caller has decided, so
    no permission check here) and for the staff fallback (`retention_release_confirm`, four eyes). `by` is the
    user who decided (None: the system), `reason` is recorded on the plan and in the history. All years of the
    approval that still hold a retention, or only `years`. Idempotent under the application's row lock: a year
    released once is never released again — a second call returns [] and writes nothing."""
    reason = (reason or "").strip() or "Verwendungsnachweis geprüft"
    with transaction.atomic():
        application = _lock(application.pk)
        figures = year_figures(application)
        due = [y for y, f in figures.items() if f.retention > 0 and (years is None or y in years)]
        released, now = [], timezone.now()
        for year in due:
            plan, _ = PaymentPlan.objects.select_for_update().get_or_create(application=application, year=year)
            if plan.retention_released_at:
                continue
            plan.retention_released_at, plan.retention_released_by_name = now, actor_name(by)
            plan.retention_release_reason = reason
            plan.save(update_fields=["retention_released_at", "retention_released_by_name",
                                     "retention_release_reason"])
            event_record(application=application, user=by, action="payment_retention_release",
                         amount=figures[year].retention, reason=f"{year}: {reason}")
            released.append(plan)
        return released


def retention_release_propose(*, application: Application, user, year: int, reason: str) -> PaymentPlan:
    """Staff fallback, first pair of eyes (Sachbearbeitung): propose releasing the retention of `year`."""
    _require(user, "payment_retention_propose")
    reason = (reason or "").strip()
    if not reason:
        raise PaymentError("Bitte begründen Sie die Freigabe des Einbehalts (z. B. Verwendungsnachweis vom …).",
                           field="reason")
    with transaction.atomic():
        application = _lock(application.pk)
        f = year_figures(application).get(year)
        if f is None or f.retention <= 0:
            raise PaymentError(f"Für {year} ist kein Einbehalt offen.", field="year")
        plan, _ = PaymentPlan.objects.select_for_update().get_or_create(application=application, year=year)
        plan.retention_release_proposed_at, plan.retention_release_proposed_by = timezone.now(), user
        plan.retention_release_proposed_by_name, plan.retention_release_reason = actor_name(user), reason
        plan.save(update_fields=["retention_release_proposed_at", "retention_release_proposed_by",
                                 "retention_release_proposed_by_name", "retention_release_reason"])
        event_record(application=application, user=user, action="payment_retention_propose", amount=f.retention,
                     reason=f"{year}: {reason}", visible_to_applicant=False)
        return plan


def retention_release_confirm(*, application: Application, user, year: int) -> PaymentPlan:
    """Staff fallback, second pair of eyes (Haushalt): release a proposed retention — never the proposer."""
    _require(user, "payment_retention_release")
    with transaction.atomic():
        application = _lock(application.pk)
        plan = PaymentPlan.objects.select_for_update().filter(application=application, year=year).first()
        if plan is None or not plan.retention_release_proposed_at:
            raise PaymentError("Die Freigabe des Einbehalts muss zuerst von einer anderen Person vorgeschlagen "
                               "werden (Vier-Augen-Prinzip).")
        if plan.retention_released_at:
            raise PaymentError("Der Einbehalt ist bereits freigegeben.")
        if plan.retention_release_proposed_by_id == user.pk:
            raise PaymentError("Vier-Augen-Prinzip: Wer die Freigabe vorgeschlagen hat, darf sie nicht selbst "
                               "freigeben.")
        retention_release(application, by=user, reason=plan.retention_release_reason, years=[year])
        plan.refresh_from_db()
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
    """Mark the run executed: every payment becomes a PAYMENT entry in the ledger. Once only: the run row is
    locked and a second call is refused.

    Batched, a constant number of queries whatever the run's size (10,000 payments: see the benchmark): lock order
    run → applications (ascending id, one statement) → line rules (`budget_pay_batch` locks each rule involved once
    and checks paid + new ≤ committed per application and rule, the invariant committed − released ≥ paid), then
    batch inserts of ledger rows, events and outbox mails, and one update of the payments. All or nothing."""
    _require(user, "payment_paid")
    with transaction.atomic():
        run = PaymentRun.objects.select_for_update().get(pk=run.pk)
        if run.executed_at:
            raise PaymentError(f"Der Zahllauf {run.number} wurde bereits am "
                               f"{timezone.localtime(run.executed_at):%d.%m.%Y} als ausgeführt gekennzeichnet.")
        paid_on = run.execution_date
        spend_by = _add_months(paid_on, SPEND_MONTHS)
        in_run = Payment.objects.filter(run_id=run.pk)
        app_ids = in_run.order_by().values("application_id")
        list(Application.objects.select_for_update(of=("self",)).filter(pk__in=app_ids).order_by("pk")
             .values_list("pk", flat=True))
        payments = list(in_run.order_by("application_id", "pk"))
        not_ordered = next((p for p in payments if p.status != PaymentStatus.ORDERED), None)
        if not_ordered:
            raise PaymentError(f"Auszahlung {not_ordered.pk} ist nicht angeordnet "
                               f"(Status „{not_ordered.get_status_display()}“).")
        applications = Application.objects.select_related("organisation", "rule").in_bulk(
            {p.application_id for p in payments})
        rules = dict(((line_id, year), pk) for pk, line_id, year in LineRule.objects.filter(
            line_id__in={a.rule.line_id for a in applications.values()}).values_list("pk", "line_id",
                                                                                      "programme_year__year"))
        items = []
        for p in payments:
            application = applications[p.application_id]
            rule_id = rules.get((application.rule.line_id, p.year))
            if rule_id is None:
                raise PaymentError(f"{application.file_number}: Für {p.year} gibt es keine Haushaltsposition.")
            items.append(budget.PayItem(rule_id=rule_id, application_id=p.application_id, amount=p.amount,
                                        reason=f"Zahllauf {run.number}, Auszahlung {p.pk}"))
        try:
            entries = budget.budget_pay_batch(items=items, user=user, application_ids_query=app_ids)
        except budget.BudgetError as exc:
            raise PaymentError(str(exc)) from exc
        in_run.update(status=PaymentStatus.PAID, paid_on=paid_on, spend_by=spend_by)
        for p, entry in zip(payments, entries, strict=True):
            p.ledger_entry_id, p.status, p.paid_on, p.spend_by = entry.pk, PaymentStatus.PAID, paid_on, spend_by
        # Each payment's own ledger row: one prepared UPDATE sent for all pairs (bulk_update builds a CASE per row,
        # which costs seconds for 10,000 payments).
        table, column = Payment._meta.db_table, Payment._meta.get_field("ledger_entry").column
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {connection.ops.quote_name(table)} SET {connection.ops.quote_name(column)} = %s "  # noqa: S608
                "WHERE id = %s", [(p.ledger_entry_id, p.pk) for p in payments])
        now, name = timezone.now(), actor_name(user)
        Event.objects.bulk_create([
            Event(application_id=p.application_id, action="payment_paid", actor=user, actor_name=name,
                  amount=p.amount, reason=f"Zahllauf {run.number}; zu verwenden bis {spend_by:%d.%m.%Y}",
                  created_at=now)
            for p in payments], batch_size=1000)
        mail.send_templated_many([
            {"to": sorted({t for t in _recipients(applications[p.application_id]) if t}), "application": applications[p.application_id],
             "subject": mail.subject_text(f"Auszahlung zu {applications[p.application_id].file_number}", limit=140),
             "template": "payment_paid", "context": {"application": applications[p.application_id], "payment": p}}
            for p in payments])
        run.executed_at, run.executed_by, run.executed_by_name = now, user, name
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
           "payment_order", "payment_refuse", "payment_plan_set", "retention_release", "retention_release_propose",
           "retention_release_confirm", "earliest_request_on", "not_enacted_message", "tranches_fall_due", "run_create", "run_execute",
           "payment_spent_report", "spend_reminders_send", "overdue_unspent", "year_figures"]
