"""Revocation and recovery: the Widerrufsverfahren of an approval, from the hearing to the refund claim paid.

The path (every step a function here; views, admin and tasks only call them):
1. `revocation_open` — Sachbearbeitung opens a proceeding from a funded application: ground, legal ground (one of
   the versioned legal texts: § 49 Abs. 3 Satz 1 Nr. 1 / Nr. 2 HVwVfG Widerruf, § 48 HVwVfG Rücknahme), the
   revoked amount per budget year and the effective date (with effect for the past: § 49 Abs. 3 and § 48 Abs. 1
   allow it; never before the approval itself).
2. `hearing_send` — the Anhörungsschreiben (§ 28 Abs. 1 HVwVfG) through the notice outbox with a deadline
   (default WIR_HEARING_DAYS = 28 days, at least HEARING_MIN_DAYS); `hearing_answer` — a signatory of the
   organisation answers in the portal (text and documents, checked like every upload).
3. `revocation_prepare` (Sachbearbeitung: outcome, the discretion exercised, the assessment of the answer,
   an interest waiver with its reason) and `revocation_decide` (Bewilligung, never the person who opened or
   prepared it: four eyes) — a Widerrufs-/Rücknahmebescheid combined with the Erstattungsbescheid (§ 49a Abs. 1),
   or the letter that the proceeding is discontinued.
4. The refund claim (`RefundClaim`): principal, interest (§ 49a Abs. 3, funding/interest.py, recomputed to the
   day of every payment), § 49a Abs. 4 interest for money used late, due date; `claim_payment_record` (Haushalt),
   `claim_reminders_send` (Celery beat: one Mahnung per level, never twice), settled when nothing is left.

What is refunded, and what is only released (decided here, explained in the notice):
    remaining grant of a year = granted − revoked
    refund of a year          = max(0, paid and not refunded − remaining grant)     (§ 49a Abs. 1: only what
                                                                                     was paid can be refunded)
    released at the decision  = revoked − refund    (money not paid is simply no longer payable)
The commitment of the year therefore never drops below what was paid and not refunded; the refunded part is
released when the refund arrives (REFUND ledger row + release, funding.services.budget_refund/budget_release).

Allocation of payments on a claim (documented in the notice too): first to interest — the fixed § 49a Abs. 4
interest, then the § 49a Abs. 3 interest accrued up to the day of the payment — then to the principal (§ 367
Abs. 1 BGB by analogy; there are no costs). This is the order funding.interest.claim_state implements.

Lock order (funding/services.py LOCK ORDER, with this room's rows between step 1 and 2): application → its
revocation / claim row → line rules (ascending) → ledger inserts.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from applications import decision_rules
from applications.audit import ApplicationError, actor_name, event_record
from applications.models import (
    Application,
    ClaimPayment,
    ClaimReminder,
    ClaimStatus,
    Membership,
    NoticeKind,
    Payment,
    PaymentStatus,
    PlanYear,
    RefundClaim,
    Revocation,
    RevocationBasis,
    RevocationDocument,
    RevocationGround,
    RevocationOutcome,
    RevocationStatus,
    RevocationYear,
    Role,
)
from applications.notices.documents import add_months
from applications.notices.legal import paragraphs
from applications.notices.outbox import mail_queue, notice_create
from applications.portal.uploads import validate_upload
from applications.workflow import FUNDED
from funding import services as budget
from funding.interest import (
    InterestError,
    InterestRow,
    RateTable,
    claim_state,
    interest_rows,
    interest_total,
    late_use_interest,
)
from funding.interest import Payment as InterestPayment
from funding.models import LedgerEntry, LedgerKind, LineRule
from wir_portal import mail
from wir_portal.money import format_eur, money

ZERO = Decimal("0.00")
HEARING_MIN_DAYS = 14  # § 28 HVwVfG asks for an adequate period; two weeks is the least we allow
OPEN_STATES = (RevocationStatus.OPENED, RevocationStatus.HEARING, RevocationStatus.PREPARED)
# Mahnung levels: (level, days after the due date). One row per level (unique): never sent twice.
REMINDER_LEVELS = ((1, 14), (2, 42))
MAX_DOCUMENTS = 10


class RevocationError(ApplicationError):
    """A rule of the proceeding refused the request. German message; `field` names the form field."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- who may do what ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RevocationAction:
    action: str
    label: str
    permission: str = ""  # staff: this Django permission
    signatory: bool = False  # applicant: a signatory (or admin) of the application's organisation


ACTIONS: dict[str, RevocationAction] = {
    a.action: a
    for a in [
        RevocationAction("revocation_open", "Widerrufsverfahren eröffnen", "applications.prepare_revocation"),
        RevocationAction("revocation_hearing", "Anhörung versenden", "applications.prepare_revocation"),
        RevocationAction("revocation_prepare", "Entscheidung vorbereiten", "applications.prepare_revocation"),
        RevocationAction("revocation_decide", "Entscheiden (Bescheid erlassen)", "applications.decide_revocation"),
        RevocationAction("revocation_answer", "Stellung nehmen", signatory=True),
        RevocationAction("claim_payment", "Zahlungseingang buchen", "applications.record_refund"),
    ]
}


def may(user, action: str, *, organisation_id: int | None = None) -> bool:
    spec = ACTIONS[action]
    if not user.is_authenticated:
        return False
    if spec.signatory:
        return organisation_id is not None and Membership.objects.filter(
            user=user, organisation_id=organisation_id, role__in=(Role.SIGNATORY, Role.ADMIN)).exists()
    return user.is_staff and user.has_perm(spec.permission)


def _require(user, action: str, *, organisation_id: int | None = None) -> None:
    if not may(user, action, organisation_id=organisation_id):
        raise RevocationError(f"Sie haben keine Berechtigung für „{ACTIONS[action].label}“.")


# --- figures --------------------------------------------------------------------------------------------------

@dataclass
class YearPosition:
    year: int
    rule_id: int
    granted: Decimal = ZERO  # committed in the ledger (commitments − releases)
    paid: Decimal = ZERO
    refunded: Decimal = ZERO

    @property
    def paid_net(self) -> Decimal:
        return self.paid - self.refunded


def year_positions(application: Application) -> dict[int, YearPosition]:
    """Granted, paid and refunded per budget year of the application (one aggregate query)."""
    rows = (LedgerEntry.objects.filter(application_id=application.pk).order_by()
            .values("rule_id", "rule__programme_year__year", "kind").annotate(total=Sum("amount")))
    positions: dict[int, YearPosition] = {}
    for row in rows:
        year = row["rule__programme_year__year"]
        pos = positions.setdefault(year, YearPosition(year=year, rule_id=row["rule_id"]))
        total = row["total"] or ZERO
        if row["kind"] == LedgerKind.COMMITMENT:
            pos.granted += total
        elif row["kind"] == LedgerKind.RELEASE:
            pos.granted -= total
        elif row["kind"] == LedgerKind.PAYMENT:
            pos.paid += total
        elif row["kind"] == LedgerKind.REFUND:
            pos.refunded += total
    return dict(sorted(positions.items()))


def refund_split(*, granted: Decimal, paid_net: Decimal, revoked: Decimal) -> tuple[Decimal, Decimal]:
    """(refund, released now) of a year: only paid money beyond the grant that remains is refunded; the rest of
    the revoked amount was never paid and is released."""
    remaining = granted - revoked
    refund = max(ZERO, paid_net - remaining)
    refund = min(refund, revoked)
    return money(refund), money(revoked - refund)


def approval_date(application: Application) -> datetime.date | None:
    """The date of the approval notice (the revocation cannot take effect before it)."""
    notice = (application.notices.filter(kind=NoticeKind.APPROVAL).order_by("created_at", "id").first())
    if notice is not None and notice.context.get("date"):
        return datetime.date.fromisoformat(notice.context["date"])
    return timezone.localdate(application.decided_at) if application.decided_at else None


def rate_table() -> RateTable:
    return RateTable.from_database()


def covered_until(table: RateTable) -> datetime.date | None:
    """The last day the base-rate table covers (the end of the last entered half-year)."""
    if not table.entries:
        return None
    last = table.entries[-1][0]
    start = datetime.date(last.year, 1 if last.month < 7 else 7, 1)
    nxt = datetime.date(start.year, 7, 1) if start.month == 1 else datetime.date(start.year + 1, 1, 1)
    return nxt - datetime.timedelta(days=1)


def _last_paid_on(application: Application) -> datetime.date | None:
    day = (Payment.objects.filter(application=application, status=PaymentStatus.PAID, paid_on__isnull=False)
           .aggregate(last=Max("paid_on"))["last"])
    if day is None:
        last = (LedgerEntry.objects.filter(application=application, kind=LedgerKind.PAYMENT)
                .aggregate(last=Max("created_at"))["last"])
        day = timezone.localdate(last) if last else None
    return day


def interest_start(revocation: Revocation) -> datetime.date:
    """§ 49a Abs. 3: from the day the notice lost its effect — but not before the last payout (money not yet paid
    bears no interest; in the recipient's favour when the revocation reaches back before a payout)."""
    last_paid = _last_paid_on(revocation.application)
    return max(revocation.effective_date, last_paid) if last_paid else revocation.effective_date


def late_use_rows(application: Application, *, table: RateTable) -> list[tuple[Payment, list[InterestRow]]]:
    """§ 49a Abs. 4: payments reported as used more than two months after the payout bear interest from the
    payout until their use (funding.interest.late_use_interest)."""
    rows = []
    for payment in (Payment.objects.filter(application=application, status=PaymentStatus.PAID,
                                           paid_on__isnull=False, spent_reported_at__isnull=False)
                    .order_by("paid_on", "pk")):
        used_on = timezone.localdate(payment.spent_reported_at)
        found = late_use_interest(amount=payment.amount, paid_on=payment.paid_on, used_on=used_on, table=table)
        if found:
            rows.append((payment, found))
    return rows


def _moment(today: datetime.date | None) -> tuple[datetime.date, datetime.datetime]:
    """(day, time) of a step: now, or noon of the given day (demo data and tests decide on a past day; the notice
    then carries that date too, so its dates and its interest breakdown agree)."""
    if today is None:
        now = timezone.now()
        return timezone.localdate(now), now
    return today, timezone.make_aware(datetime.datetime.combine(today, datetime.time(12)))


# --- 1. opening -------------------------------------------------------------------------------------------------

def _lock_application(application_id: int) -> Application:
    return (Application.objects.select_for_update(of=("self",))
            .select_related("organisation", "rule__line", "rule__programme_year").get(pk=application_id))


def _lock_revocation(revocation: Revocation) -> tuple[Application, Revocation]:
    app = _lock_application(revocation.application_id)  # lock order: application first
    return app, Revocation.objects.select_for_update().get(pk=revocation.pk)


def _check_amount(value, *, field_name: str) -> Decimal:
    if value is None:
        raise RevocationError("Bitte geben Sie einen Betrag an.", field=field_name)
    value = Decimal(value)
    if value != value.quantize(Decimal("0.01")):
        raise RevocationError("Bitte geben Sie den Betrag mit höchstens zwei Nachkommastellen (Cent) an.",
                              field=field_name)
    if value <= 0:
        raise RevocationError("Der Betrag muss größer als 0 sein.", field=field_name)
    return money(value)


def revocation_open(*, application: Application, user, ground: str, basis: str, facts: str,
                    effective_date: datetime.date, amounts: dict[int, Decimal],
                    proof_amount: Decimal | None = None, proof_reference: str = "") -> Revocation:
    """Open a proceeding. Refusals name the form field (`amount_<year>`, `effective_date`, …)."""
    _require(user, "revocation_open")
    if ground not in RevocationGround.values:
        raise RevocationError("Bitte wählen Sie den Anlass.", field="ground")
    if basis not in RevocationBasis.values:
        raise RevocationError("Bitte wählen Sie die Rechtsgrundlage.", field="basis")
    if not (facts or "").strip():
        raise RevocationError("Bitte schildern Sie den Sachverhalt (er steht in der Anhörung und im Bescheid).",
                              field="facts")
    if ground == RevocationGround.PROOF_RESULT:
        if proof_amount is None:
            raise RevocationError("Bitte geben Sie den Betrag aus der Prüfung des Verwendungsnachweises an.",
                                  field="proof_amount")
        proof_amount = _check_amount(proof_amount, field_name="proof_amount")
    elif proof_amount is not None:
        proof_amount = _check_amount(proof_amount, field_name="proof_amount")
    if effective_date is None:
        raise RevocationError("Bitte geben Sie an, ab wann der Widerruf wirkt.", field="effective_date")
    parts = {int(y): _check_amount(a, field_name=f"amount_{y}") for y, a in amounts.items() if a is not None}
    if not parts:
        raise RevocationError("Bitte geben Sie für mindestens ein Haushaltsjahr den widerrufenen Betrag an.",
                              field="__all__")
    with transaction.atomic():
        app = _lock_application(application.pk)
        if app.status not in FUNDED:
            raise RevocationError("Ein Widerrufsverfahren ist nur für bewilligte Vorhaben möglich.")
        if app.revocations.filter(status__in=OPEN_STATES).exists():
            raise RevocationError("Für dieses Vorhaben läuft bereits ein Widerrufsverfahren.")
        approved_on = approval_date(app)
        if approved_on and effective_date < approved_on:
            raise RevocationError(
                f"Der Widerruf kann nicht vor dem Zuwendungsbescheid vom {approved_on:%d.%m.%Y} wirksam werden "
                "(er kann nur aufheben, was der Bescheid geregelt hat).", field="effective_date")
        positions = year_positions(app)
        for year, amount in sorted(parts.items()):
            pos = positions.get(year)
            if pos is None or pos.granted <= 0:
                raise RevocationError(f"Für {year} ist nichts bewilligt.", field=f"amount_{year}")
            if amount > pos.granted:
                raise RevocationError(
                    f"Für {year} sind {format_eur(pos.granted)} bewilligt; mehr kann nicht widerrufen werden.",
                    field=f"amount_{year}")
        revocation = Revocation.objects.create(
            application=app, ground=ground, basis=basis, facts=facts.strip(), effective_date=effective_date,
            proof_amount=proof_amount, proof_reference=(proof_reference or "").strip(),
            revoked_total=money(sum(parts.values(), ZERO)), opened_by=user, opened_by_name=actor_name(user),
        )
        refund_total = ZERO
        for year, amount in sorted(parts.items()):
            pos = positions[year]
            refund, _ = refund_split(granted=pos.granted, paid_net=pos.paid_net, revoked=amount)
            refund_total += refund
            RevocationYear.objects.create(revocation=revocation, year=year, rule_id=pos.rule_id, revoked=amount,
                                          refund=refund)
        revocation.refund_total = refund_total
        revocation.save(update_fields=["refund_total"])
        event_record(application=app, user=user, action="revocation_open", amount=revocation.revoked_total,
                     reason=f"{RevocationGround(ground).label}; {RevocationBasis(basis).label}",
                     visible_to_applicant=False)
        return revocation


# --- the notice context -------------------------------------------------------------------------------------------

def _d(day: datetime.date | None) -> str:
    return day.strftime("%d.%m.%Y") if day else ""


def _rows_json(rows: list[InterestRow]) -> list[dict]:
    return [{"first": _d(r.first_day), "last": _d(r.last_day), "days": r.days, "year_days": r.year_days,
             "base": f"{r.base_rate:.2f}".replace(".", ","), "rate": f"{r.rate:.2f}".replace(".", ","),
             "principal": str(r.principal), "amount": str(r.amount)} for r in rows]


def _context(revocation: Revocation, *, today: datetime.date, decision: bool = False,
             claim: RefundClaim | None = None) -> dict:
    """What the hearing letter and the notice show (frozen into Notice.context['revocation'])."""
    app = revocation.application
    positions = year_positions(app)
    years = []
    for y in revocation.years.all():
        pos = positions.get(y.year, YearPosition(year=y.year, rule_id=y.rule_id))
        granted_before = pos.granted  # the notice is built before the release is booked (decide: lock last)
        years.append({"year": y.year, "granted": str(granted_before), "paid": str(pos.paid_net),
                      "revoked": str(y.revoked), "remaining": str(granted_before - y.revoked),
                      "refund": str(y.refund), "released": str(y.revoked - y.refund)})
    context = {
        "id": revocation.pk,
        "ground": revocation.ground, "ground_label": RevocationGround(revocation.ground).label,
        "basis": revocation.basis, "basis_label": RevocationBasis(revocation.basis).label,
        "withdrawal": revocation.basis == RevocationBasis.RUECKNAHME_48,
        "facts": revocation.facts,
        "facts_paras": paragraphs(revocation.facts),
        "proof_amount": str(revocation.proof_amount) if revocation.proof_amount is not None else None,
        "proof_reference": revocation.proof_reference,
        "effective_date": _d(revocation.effective_date),
        "approval_date": _d(approval_date(app)),
        "years": years,
        "revoked_total": str(revocation.revoked_total),
        "refund_total": str(sum((Decimal(y["refund"]) for y in years), ZERO)),
        "released_total": str(sum((Decimal(y["released"]) for y in years), ZERO)),
        "hearing_deadline": _d(revocation.hearing_deadline),
    }
    if decision:
        context.update({
            "considerations": revocation.considerations,
            "considerations_paras": paragraphs(revocation.considerations),
            "assessment_paras": paragraphs(revocation.answer_assessment),
            "waiver_paras": paragraphs(revocation.interest_waiver_reason),
            "answered": bool(revocation.answered_at),
            "answered_at": _d(timezone.localdate(revocation.answered_at)) if revocation.answered_at else "",
            "answer_assessment": revocation.answer_assessment,
            "hearing_date": _d(datetime.date.fromisoformat(revocation.hearing_notice.context["date"]))
            if revocation.hearing_notice_id and revocation.hearing_notice.context.get("date") else "",
            "interest_waived": revocation.interest_waived,
            "interest_waiver_reason": revocation.interest_waiver_reason,
        })
    if claim is not None:
        table = rate_table()
        until = today
        covered = covered_until(table)
        if covered and until > covered:
            until = covered
        try:
            rows = [] if claim.interest_from is None else interest_rows(
                principal=claim.principal, start=claim.interest_from, end=until, table=table)
        except InterestError as exc:  # e.g. no base rate at all: a message for staff, no half-made notice
            raise RevocationError(str(exc)) from exc
        context.update({
            "claim": {
                "principal": str(claim.principal), "due_date": _d(claim.due_date),
                "interest_from": _d(claim.interest_from), "interest_until": _d(until),
                "rows": _rows_json(rows), "interest_total": str(interest_total(rows)),
                "late_use_interest": str(claim.late_use_interest),
                "late_use": [{"paid_on": _d(p.paid_on), "amount": str(p.amount), "rows": _rows_json(r),
                              "total": str(interest_total(r))} for p, r in late_use_rows(app, table=table)]
                if claim.late_use_interest else [],
                "total_until": str(claim.principal + interest_total(rows) + claim.late_use_interest),
                "iban": getattr(settings, "WIR_REFUND_IBAN", ""),
                "account_holder": getattr(settings, "WIR_REFUND_ACCOUNT_HOLDER", "Land Hessen"),
                "reference": f"{app.file_number} Erstattung",
            }
        })
    return context


# --- 2. hearing -------------------------------------------------------------------------------------------------

def hearing_days() -> int:
    return int(getattr(settings, "WIR_HEARING_DAYS", 28))


def hearing_send(*, revocation: Revocation, user, deadline: datetime.date | None = None,
                 today: datetime.date | None = None):
    """Send the Anhörungsschreiben (§ 28 HVwVfG) through the outbox with a deadline to answer."""
    _require(user, "revocation_hearing")
    today, _ = _moment(today)
    deadline = deadline or today + datetime.timedelta(days=hearing_days())
    if deadline < today + datetime.timedelta(days=HEARING_MIN_DAYS):
        raise RevocationError(f"Die Frist zur Stellungnahme muss mindestens {HEARING_MIN_DAYS} Tage betragen "
                              f"(frühestens {today + datetime.timedelta(days=HEARING_MIN_DAYS):%d.%m.%Y}).",
                              field="deadline")
    with transaction.atomic():
        app, rv = _lock_revocation(revocation)
        if rv.status != RevocationStatus.OPENED:
            raise RevocationError(f"Die Anhörung ist im Stand „{rv.get_status_display()}“ nicht (mehr) möglich.")
        rv.hearing_deadline = deadline
        rv.status = RevocationStatus.HEARING
        notice = notice_create(application=app, kind=NoticeKind.HEARING, user=user, amount=rv.revoked_total,
                               reasons=rv.facts,
                               extra={"date": today.isoformat(), "revocation": _context(rv, today=today)})
        rv.hearing_notice = notice
        rv.save(update_fields=["hearing_deadline", "status", "hearing_notice"])
        event_record(application=app, user=user, action="revocation_hearing", amount=rv.revoked_total,
                     reason=f"Anhörung zum beabsichtigten Widerruf; Stellungnahme bis {deadline:%d.%m.%Y}")
        return notice


def hearing_answer(*, revocation: Revocation, user, text: str, uploads=()) -> Revocation:
    """The recipient's answer (a signatory of the organisation): text and documents, once."""
    _require(user, "revocation_answer", organisation_id=revocation.application.organisation_id)
    text = (text or "").strip()
    uploads = [u for u in uploads if u]
    if not text:
        raise RevocationError("Bitte schreiben Sie Ihre Stellungnahme.", field="text")
    if len(uploads) > MAX_DOCUMENTS:
        raise RevocationError(f"Bitte fügen Sie höchstens {MAX_DOCUMENTS} Dateien bei.", field="documents")
    checked = []
    for upload in uploads:
        try:
            _, content_type = validate_upload(upload)
        except ValidationError as exc:
            raise RevocationError(f"{PurePath(upload.name or '').name}: {' '.join(exc.messages)}",
                                  field="documents") from exc
        checked.append((upload, content_type))
    with transaction.atomic():
        app, rv = _lock_revocation(revocation)
        if rv.status != RevocationStatus.HEARING:
            raise RevocationError("Zu diesem Verfahren kann keine Stellungnahme (mehr) abgegeben werden.")
        if rv.answered_at:
            raise RevocationError("Ihre Stellungnahme ist bereits eingegangen. Weitere Hinweise senden Sie bitte als "
                                  "Nachricht zum Antrag.")
        rv.answer_text, rv.answered_at = text, timezone.now()
        rv.answered_by, rv.answered_by_name = user, actor_name(user)
        rv.save(update_fields=["answer_text", "answered_at", "answered_by", "answered_by_name"])
        for upload, content_type in checked:
            digest = hashlib.sha256()
            upload.seek(0)
            for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
                digest.update(chunk)
            upload.seek(0)
            doc = RevocationDocument(revocation=rv, original_name=PurePath(upload.name).name[:255],
                                     content_type=content_type, size=upload.size, sha256=digest.hexdigest(),
                                     uploaded_by=user)
            doc.file.save(doc.original_name, upload, save=False)
            doc.save()
        late = rv.hearing_deadline and timezone.localdate() > rv.hearing_deadline
        event_record(application=app, user=user, action="revocation_answer",
                     reason="Stellungnahme zur Anhörung eingegangen" + (" (nach Fristablauf)" if late else "")
                     + (f", {len(checked)} Unterlage(n)" if checked else ""))
        return rv


# --- 3. preparing and deciding ----------------------------------------------------------------------------------

def revocation_prepare(*, revocation: Revocation, user, outcome: str, considerations: str,
                       answer_assessment: str = "", interest_waived: bool = False, interest_waiver_reason: str = "",
                       today: datetime.date | None = None) -> Revocation:
    """Sachbearbeitung prepares the decision: the discretion exercised, the answer addressed, interest waived or
    not. Only after the answer or the end of the hearing period."""
    _require(user, "revocation_prepare")
    today = today or timezone.localdate()
    if outcome not in RevocationOutcome.values:
        raise RevocationError("Bitte wählen Sie die vorgeschlagene Entscheidung.", field="outcome")
    considerations = (considerations or "").strip()
    answer_assessment = (answer_assessment or "").strip()
    interest_waiver_reason = (interest_waiver_reason or "").strip()
    if not considerations:
        raise RevocationError("Bitte legen Sie die Ermessenserwägungen dar (sie tragen die Begründung des Bescheids).",
                              field="considerations")
    if interest_waived and not interest_waiver_reason:
        raise RevocationError("Bitte begründen Sie den Verzicht auf die Zinsen (§ 49a Abs. 3 Satz 2 HVwVfG).",
                              field="interest_waiver_reason")
    with transaction.atomic():
        app, rv = _lock_revocation(revocation)
        if rv.status != RevocationStatus.HEARING:
            raise RevocationError("Die Entscheidung kann erst nach der Anhörung vorbereitet werden.")
        if not rv.answered_at and rv.hearing_deadline and today <= rv.hearing_deadline:
            raise RevocationError(f"Die Frist zur Stellungnahme läuft bis zum {rv.hearing_deadline:%d.%m.%Y}; vorher "
                                  "kann nur nach Eingang der Stellungnahme entschieden werden.")
        if rv.answered_at and not answer_assessment:
            raise RevocationError("Die Stellungnahme der Zuwendungsempfängerin / des Zuwendungsempfängers muss in "
                                  "der Begründung gewürdigt werden.", field="answer_assessment")
        rv.outcome, rv.considerations, rv.answer_assessment = outcome, considerations, answer_assessment
        rv.interest_waived = bool(interest_waived) and outcome == RevocationOutcome.REVOKE
        rv.interest_waiver_reason = interest_waiver_reason if rv.interest_waived else ""
        rv.prepared_by, rv.prepared_by_name, rv.prepared_at = user, actor_name(user), timezone.now()
        rv.status = RevocationStatus.PREPARED
        rv.save()
        event_record(application=app, user=user, action="revocation_prepare",
                     reason=RevocationOutcome(outcome).label, visible_to_applicant=False)
        return rv


def revocation_send_back(*, revocation: Revocation, user, reason: str) -> Revocation:
    """Bewilligung sends a prepared decision back to Sachbearbeitung (with a reason)."""
    _require(user, "revocation_decide")
    if not (reason or "").strip():
        raise RevocationError("Bitte begründen Sie die Rückgabe.", field="reason")
    with transaction.atomic():
        app, rv = _lock_revocation(revocation)
        if rv.status != RevocationStatus.PREPARED:
            raise RevocationError("Nur eine vorbereitete Entscheidung kann zurückgegeben werden.")
        rv.status = RevocationStatus.HEARING
        rv.save(update_fields=["status"])
        event_record(application=app, user=user, action="revocation_send_back", reason=reason.strip(),
                     visible_to_applicant=False)
        return rv


def revocation_decide(*, revocation: Revocation, user, today: datetime.date | None = None) -> Revocation:
    """Bewilligung decides as prepared — never the person who opened or prepared the proceeding (four eyes).

    Revoke: per year the refund and the release are fixed (refund_split), the commitment released (never below
    paid and not refunded), the plan's approved grant lowered, the claim created, and the Widerrufs-/Rücknahme-
    und Erstattungsbescheid issued through the outbox. Discontinue: the letter that the proceeding is closed."""
    _require(user, "revocation_decide")
    today, now = _moment(today)
    with transaction.atomic():
        app, rv = _lock_revocation(revocation)
        if rv.status != RevocationStatus.PREPARED:
            raise RevocationError("Entschieden werden kann erst, wenn die Sachbearbeitung die Entscheidung "
                                  "vorbereitet hat, und nur einmal.")
        if user.pk in (rv.opened_by_id, rv.prepared_by_id):
            raise RevocationError("Vier-Augen-Prinzip: Wer das Verfahren eröffnet oder die Entscheidung vorbereitet "
                                  "hat, darf nicht selbst entscheiden.")
        rv.decided_by, rv.decided_by_name, rv.decided_at = user, actor_name(user), now
        if rv.outcome == RevocationOutcome.DISCONTINUE:
            rv.status = RevocationStatus.DISCONTINUED
            notice = notice_create(application=app, kind=NoticeKind.REVOCATION_END, user=user,
                                   reasons=rv.considerations,
                                   extra={"date": today.isoformat(),
                                          "revocation": _context(rv, today=today, decision=True)})
            rv.decision_notice = notice
            rv.save()
            event_record(application=app, user=user, action="revocation_discontinue", reason=rv.considerations[:500])
            return rv

        positions = year_positions(app)
        pending = dict(Payment.objects.filter(application=app, status__in=(
            PaymentStatus.REQUESTED, PaymentStatus.CONFIRMED, PaymentStatus.ORDERED))
            .values_list("year").annotate(total=Sum("amount")).order_by())
        years = list(rv.years.select_for_update().order_by("year"))
        for y in years:
            pos = positions.get(y.year, YearPosition(year=y.year, rule_id=y.rule_id))
            if y.revoked > pos.granted:
                raise RevocationError(f"Für {y.year} sind nur noch {format_eur(pos.granted)} bewilligt; der Widerruf "
                                      f"über {format_eur(y.revoked)} muss neu vorbereitet werden.")
            if pending.get(y.year) and pos.paid_net + pending[y.year] > pos.granted - y.revoked:
                raise RevocationError(f"Für {y.year} liegen offene Mittelabrufe über {format_eur(pending[y.year])} "
                                      "vor. Bitte lehnen Sie sie zuerst ab (oder führen Sie sie aus), dann kann "
                                      "entschieden werden.")
            y.refund, y.released = refund_split(granted=pos.granted, paid_net=pos.paid_net, revoked=y.revoked)
        for y in years:
            y.save(update_fields=["refund", "released"])
        plan = {p.year: p for p in PlanYear.objects.select_for_update().filter(application=app)}
        for y in years:
            p = plan.get(y.year)
            if p is not None:
                p.approved_grant = money((p.approved_grant if p.approved_grant is not None else p.requested_grant)
                                         - y.revoked)
                p.save(update_fields=["approved_grant"])
        previous = app.approved_amount or ZERO
        app.approved_amount = money(previous - rv.revoked_total)
        app.save(update_fields=["approved_amount", "updated_at"])
        rv.refund_total = money(sum((y.refund for y in years), ZERO))
        table = rate_table()
        late_total = ZERO
        try:
            late_total = sum((interest_total(r) for _, r in late_use_rows(app, table=table)), ZERO)
        except InterestError as exc:
            raise RevocationError(str(exc)) from exc
        if rv.interest_waived:
            late_total = ZERO
        claim = None
        if rv.refund_total > 0 or late_total > 0:
            received = today + datetime.timedelta(days=decision_rules.receipt_days())
            claim = RefundClaim.objects.create(
                revocation=rv, application=app, principal=rv.refund_total,
                interest_from=None if rv.interest_waived else interest_start(rv),
                late_use_interest=late_total, due_date=add_months(received, 1))
        rv.status = RevocationStatus.DECIDED
        kind = NoticeKind.WITHDRAWAL if rv.basis == RevocationBasis.RUECKNAHME_48 else NoticeKind.REVOCATION
        notice = notice_create(application=app, kind=kind, user=user, amount=app.approved_amount,
                               previous_amount=previous, reasons=rv.considerations,
                               extra={"date": today.isoformat(),
                                      "revocation": _context(rv, today=today, decision=True, claim=claim)})
        rv.decision_notice = notice
        rv.save()
        event_record(application=app, user=user, action="revocation_decide", from_status=app.status,
                     to_status=app.status, amount=rv.revoked_total,
                     reason=f"{RevocationBasis(rv.basis).label}; zu erstatten {format_eur(rv.refund_total)}")
        # the line's budget lock last (as approvals do): everything else is written, so the rule rows are held
        # only for the releases; a refusal still rolls the whole decision back (one transaction)
        try:
            budget.lock_rules([y.rule_id for y in years])  # lock order: application → revocation → rules
            for y in years:
                if y.released > 0:
                    budget.budget_release(rule=LineRule(pk=y.rule_id), application=app, amount=y.released,
                                          user=user, reason=f"Widerruf {app.file_number} (nicht ausgezahlter Teil)")
        except budget.BudgetError as exc:
            raise RevocationError(str(exc)) from exc
        for y in years:
            if y.released > 0:
                event_record(application=app, user=user, action="budget_release", amount=y.released,
                             reason=f"Widerruf {y.year}", visible_to_applicant=False)
        return rv


# --- 4./5. the claim --------------------------------------------------------------------------------------------

@dataclass
class ClaimFigures:
    principal: Decimal  # still owed
    interest_due: Decimal  # § 49a Abs. 3 accrued and unpaid + § 49a Abs. 4 unpaid
    late_use_due: Decimal
    rows: list[InterestRow] = field(default_factory=list)
    allocations: list[tuple[datetime.date, Decimal, Decimal, Decimal]] = field(default_factory=list)
    until: datetime.date | None = None
    complete: bool = True  # False: the base rate of a later half-year is missing; figures end at `until`

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest_due


def claim_figures(claim: RefundClaim, *, until: datetime.date, payments=None,
                  table: RateTable | None = None, clip: bool = True) -> ClaimFigures:
    """The claim on `until`: payments first to the § 49a Abs. 4 interest, then to the § 49a Abs. 3 interest up to
    the payment day, then to the principal (claim_state). With `clip`, a day beyond the base-rate table is cut
    to its last covered day (complete=False) instead of failing."""
    table = table or rate_table()
    payments = list(claim.payments.all()) if payments is None else payments
    complete = True
    covered = covered_until(table)
    if clip and covered and until > covered and claim.interest_from is not None:
        until, complete = covered, False
    late_left = claim.late_use_interest
    rest: list[InterestPayment] = []
    late_alloc: dict[int, Decimal] = {}
    for i, p in enumerate(sorted(payments, key=lambda p: (p.received_on, p.pk or 0))):
        to_late = min(p.amount, late_left)
        late_left -= to_late
        late_alloc[i] = to_late
        if p.amount - to_late > 0:
            rest.append(InterestPayment(p.received_on, p.amount - to_late))
    state = claim_state(principal=claim.principal, interest_from=claim.interest_from, payments=rest, until=until,
                        table=table)
    allocations = []
    remaining = iter(state.allocations)
    for i, p in enumerate(sorted(payments, key=lambda p: (p.received_on, p.pk or 0))):
        to_late = late_alloc[i]
        if p.amount - to_late > 0:
            day, paid, to_interest, to_principal = next(remaining)
            allocations.append((p.received_on, p.amount, to_interest + to_late, to_principal))
        else:
            allocations.append((p.received_on, p.amount, to_late, ZERO))
    return ClaimFigures(principal=state.principal, interest_due=state.interest_due + late_left,
                        late_use_due=late_left, rows=state.rows, allocations=allocations, until=until,
                        complete=complete)


def _lock_claim(claim: RefundClaim) -> tuple[Application, RefundClaim]:
    app = _lock_application(claim.application_id)
    return app, RefundClaim.objects.select_for_update().get(pk=claim.pk)


def claim_payment_record(*, claim: RefundClaim, user, amount: Decimal, received_on: datetime.date,
                         reference: str = "", today: datetime.date | None = None) -> ClaimPayment:
    """Haushalt records an incoming payment. Its principal part is booked as REFUND per year (ascending) and the
    commitment kept for it released; the claim closes when nothing is left."""
    _require(user, "claim_payment")
    today = today or timezone.localdate()
    amount = _check_amount(amount, field_name="amount")
    if received_on is None:
        raise RevocationError("Bitte geben Sie das Eingangsdatum an.", field="received_on")
    if received_on > today:
        raise RevocationError("Das Eingangsdatum darf nicht in der Zukunft liegen.", field="received_on")
    with transaction.atomic():
        app, claim = _lock_claim(claim)
        if claim.status != ClaimStatus.OPEN:
            raise RevocationError("Die Forderung ist bereits erledigt.")
        decided_on = timezone.localdate(claim.revocation.decided_at) if claim.revocation.decided_at else None
        if decided_on and received_on < decided_on:
            raise RevocationError(f"Das Eingangsdatum liegt vor dem Bescheid vom {decided_on:%d.%m.%Y}.",
                                  field="received_on")
        existing = list(claim.payments.all())
        if existing and received_on < max(p.received_on for p in existing):
            raise RevocationError("Zahlungseingänge werden in zeitlicher Reihenfolge gebucht; der letzte ist vom "
                                  f"{max(p.received_on for p in existing):%d.%m.%Y}.", field="received_on")
        try:
            before = claim_figures(claim, until=received_on, payments=existing, clip=False)
        except InterestError as exc:
            raise RevocationError(str(exc), field="received_on") from exc
        if amount > before.total:
            raise RevocationError(f"Am {received_on:%d.%m.%Y} sind nur {format_eur(before.total)} offen "
                                  f"(Hauptforderung {format_eur(before.principal)}, Zinsen "
                                  f"{format_eur(before.interest_due)}). Bitte erfassen Sie eine Überzahlung als "
                                  "Erstattung an die Zahlende / den Zahlenden außerhalb dieses Verfahrens.",
                                  field="amount")
        payment = ClaimPayment(claim=claim, received_on=received_on, amount=amount,
                               reference=(reference or "").strip()[:200], recorded_by=user,
                               recorded_by_name=actor_name(user))
        after = claim_figures(claim, until=received_on, payments=[*existing, payment], clip=False)
        _, _, to_interest, to_principal = after.allocations[-1]
        payment.to_interest, payment.to_principal = to_interest, to_principal
        payment.save()
        if to_principal > 0:
            _book_refund(app=app, claim=claim, amount=to_principal, user=user)
        event_record(application=app, user=user, action="claim_payment", amount=amount,
                     reason=f"Zahlungseingang vom {received_on:%d.%m.%Y}: {format_eur(to_interest)} auf Zinsen, "
                            f"{format_eur(to_principal)} auf die Hauptforderung")
        if after.total == 0:
            claim.status, claim.settled_on = ClaimStatus.SETTLED, received_on
            claim.save(update_fields=["status", "settled_on"])
            event_record(application=app, user=user, action="claim_settled",
                         reason=f"Erstattungsforderung am {received_on:%d.%m.%Y} vollständig bezahlt")
        return payment


def _book_refund(*, app: Application, claim: RefundClaim, amount: Decimal, user) -> None:
    """The principal part of a payment: REFUND rows per year (ascending, up to each year's refund not yet
    booked), each with the release of the commitment that was kept bound for it."""
    years = list(claim.revocation.years.filter(refund__gt=0).order_by("year"))
    booked = dict(LedgerEntry.objects.filter(application=app, kind=LedgerKind.REFUND,
                                             rule_id__in=[y.rule_id for y in years])
                  .values_list("rule_id").annotate(total=Sum("amount")).order_by())
    # refunds booked before this proceeding (none in practice) are not counted against it
    left = amount
    try:
        budget.lock_rules([y.rule_id for y in years])
        for y in years:
            if left <= 0:
                break
            open_part = y.refund - min(booked.get(y.rule_id, ZERO), y.refund)
            part = min(left, open_part)
            if part <= 0:
                continue
            rule = LineRule(pk=y.rule_id)
            reason = f"Erstattung {app.file_number} ({y.year})"
            budget.budget_refund(rule=rule, application=app, amount=part, user=user, reason=reason)
            budget.budget_release(rule=rule, application=app, amount=part, user=user, reason=reason)
            booked[y.rule_id] = booked.get(y.rule_id, ZERO) + part
            left -= part
    except budget.BudgetError as exc:
        raise RevocationError(str(exc)) from exc


def claim_reminders_send(*, today: datetime.date | None = None) -> int:
    """Beat task: a Mahnung per level once the claim is that many days overdue — never the same level twice
    (ClaimReminder is unique per claim and level; the claim row is locked while checking)."""
    today = today or timezone.localdate()
    sent = 0
    first_due = today - datetime.timedelta(days=REMINDER_LEVELS[0][1])
    for pk in (RefundClaim.objects.filter(status=ClaimStatus.OPEN, due_date__lt=first_due)
               .values_list("pk", flat=True).iterator(chunk_size=500)):
        with transaction.atomic():
            claim = (RefundClaim.objects.select_for_update(of=("self",))
                     .select_related("application__organisation").filter(pk=pk, status=ClaimStatus.OPEN).first())
            if claim is None:
                continue
            done = set(claim.reminders.values_list("level", flat=True))
            due_levels = [lvl for lvl, days in REMINDER_LEVELS
                          if today > claim.due_date + datetime.timedelta(days=days) and lvl not in done]
            if not due_levels:
                continue
            level = max(due_levels)  # a late run sends the current level only, not every missed one
            if any(lvl > level for lvl in done):
                continue
            figures = claim_figures(claim, until=today)
            if figures.total <= 0:
                continue
            app = claim.application
            context = {"application": app, "claim": claim, "figures": figures, "level": level,
                       "site_url": settings.SITE_URL}
            recipients = sorted({e for e in [app.organisation.email, app.contact_email] if e})
            text, html = mail.render_templated(template="revocation_reminder", context=context)
            queued = mail_queue(kind="revocation_reminder", to=recipients, text=text, html=html, application=app,
                                subject=mail.subject_text(f"{level}. Mahnung: Erstattung zu {app.file_number}",
                                                          limit=140))
            ClaimReminder.objects.create(claim=claim, level=level, amount_due=figures.total, mail=queued)
            event_record(application=app, user=None, action="claim_reminder", amount=figures.total,
                         reason=f"{level}. Mahnung" + ("" if figures.complete else
                                                       f" (Zinsen berechnet bis {figures.until:%d.%m.%Y})"))
            sent += 1
    return sent


# --- reading ----------------------------------------------------------------------------------------------------

def open_proceedings_count() -> int:
    return Revocation.objects.filter(status__in=OPEN_STATES).count()


def refunds_per_year_and_line() -> list[dict]:
    """Refunds received per budget year and line (ledger REFUND rows) for the budget overview and reports."""
    rows = (LedgerEntry.objects.filter(kind=LedgerKind.REFUND).order_by()
            .values("rule__programme_year__year", "rule__line__name").annotate(total=Sum("amount"))
            .order_by("-rule__programme_year__year", "rule__line__name"))
    return [{"year": r["rule__programme_year__year"], "line": r["rule__line__name"], "total": r["total"]}
            for r in rows]


__all__ = ["ACTIONS", "RevocationError", "may", "year_positions", "refund_split", "revocation_open", "hearing_send",
           "hearing_answer", "revocation_prepare", "revocation_send_back", "revocation_decide", "claim_figures",
           "claim_payment_record", "claim_reminders_send", "refunds_per_year_and_line"]
