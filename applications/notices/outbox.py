"""The outbox: render and send a notice exactly once, and send every other e-mail of the portal exactly once.

Notices: queued → rendering → rendered → sending (its mail is in the mail outbox) → sent (or failed).
Mails (OutboundMail, below): queued → sending → sent (or failed), written in the transaction of the change that
causes them. A notice's mail is one OutboundMail per delivery; the notice is "sent" when its mail was accepted by
the mail server.

The Notice row is an outbox with the states queued → rendering → rendered → sending → sent (or failed). Each step
claims the row under a row lock (select_for_update) in a short transaction, commits the "in progress" state with a
claim timestamp, does the slow work (WeasyPrint, SMTP) without holding the lock, and finishes under the lock
again, checking it still owns the claim. A duplicated or redelivered task therefore finds the row rendered, sent
or claimed by someone else and does nothing. A claim older than the task time limit is considered abandoned
(worker killed) and may be taken over. The one unavoidable window: a worker killed after the SMTP server accepted
the mail but before "sent" was committed re-sends after the lease — at-least-once there, never silently zero.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from dataclasses import dataclass
from decimal import Decimal
from email.utils import parseaddr

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from applications import decision_rules
from applications.models import Application, MailStatus, Notice, NoticeKind, NoticeStatus, OutboundMail
from applications.notices import legal
from applications.notices.documents import (
    SUBJECTS,
    NoticeError,
    court_for,
    legal_versions_for,
    notice_context_build,
)
from wir_portal.money import format_eur
from wir_portal.pdf import DEFAULT_AUTHOR, render_pdf

log = logging.getLogger(__name__)

TEMPLATES = {
    NoticeKind.APPROVAL: "notices/approval.html",
    NoticeKind.REJECTION: "notices/rejection.html",
    NoticeKind.AMENDMENT: "notices/amendment.html",
    NoticeKind.RECEIPT: "notices/receipt.html",
    NoticeKind.EARLY_START: "notices/early_start.html",
    NoticeKind.PROOF_RECEIPT: "notices/proof_receipt.html",
    NoticeKind.PROOF_CHECK: "notices/proof_check.html",
    NoticeKind.HEARING: "notices/revocation_hearing.html",
    NoticeKind.REVOCATION: "notices/revocation.html",
    NoticeKind.WITHDRAWAL: "notices/revocation.html",
    NoticeKind.REVOCATION_END: "notices/revocation_end.html",
    NoticeKind.EARLY_START_REFUSAL: "notices/early_start_refusal.html",
}
NEEDS_REMEDIES = {NoticeKind.APPROVAL, NoticeKind.REJECTION, NoticeKind.AMENDMENT, NoticeKind.EARLY_START,
                  NoticeKind.EARLY_START_REFUSAL, NoticeKind.REVOCATION, NoticeKind.WITHDRAWAL}


def lease() -> datetime.timedelta:
    """How long a claim protects a notice from being taken over (longer than any task may run)."""
    return datetime.timedelta(seconds=int(getattr(settings, "CELERY_TASK_TIME_LIMIT", 300)) + 60)


# --- Turning the frozen JSON context into what the template needs ---------------------------------------------

def _date(value):
    return datetime.date.fromisoformat(value) if value else None


def _amount(value):
    return Decimal(value) if value is not None else None


def _years_text(years: list[int]) -> str:
    """[2028] -> 'das Haushaltsjahr 2028'; [2028, 2029, 2030] -> 'die Haushaltsjahre 2028, 2029 und 2030'."""
    names = [str(y) for y in years]
    if len(names) == 1:
        return f"das Haushaltsjahr {names[0]}"
    return "die Haushaltsjahre " + " und ".join([", ".join(names[:-1]), names[-1]]) if names else ""


def _percent(value) -> str:
    """'80.00' -> '80', '72.50' -> '72,5' (German decimal comma)."""
    if value is None:
        return ""
    text = f"{Decimal(value).normalize():f}"
    return text.replace(".", ",")


_MONTH_WORDS = {1: "einem", 2: "zwei", 3: "drei", 4: "vier", 5: "fünf", 6: "sechs", 7: "sieben", 8: "acht",
                9: "neun", 10: "zehn", 11: "elf", 12: "zwölf"}
_MONTH_ORDINALS = {1: "ersten", 2: "zweiten", 3: "dritten", 4: "vierten", 5: "fünften", 6: "sechsten",
                   7: "siebten", 8: "achten", 9: "neunten", 10: "zehnten", 11: "elften", 12: "zwölften"}


@dataclass
class Rendered:
    html: str
    title: str
    subject: str
    keywords: list[str]
    court: dict | None


def notice_html(*, context: dict, legal_versions: dict, number: str, draft: bool = False) -> Rendered:
    """Render the notice template from the frozen context. Raises NoticeError if the court is unknown."""
    kind = context["kind"]
    court = context.get("court")
    if kind in NEEDS_REMEDIES and not court:
        raise NoticeError(
            "Das zuständige Verwaltungsgericht ist nicht bekannt; ohne korrekte Rechtsbehelfsbelehrung wird kein "
            "Bescheid erstellt. Bitte ergänzen Sie den Sitz der Organisation bzw. das Gericht der "
            "Gebietskörperschaft und versuchen Sie es erneut."
        )
    texts = legal.texts_for_versions(legal_versions)
    authority = texts["authority"].body.strip()
    values = {
        "authority": authority.replace("\n", ", "),
        "authority_name": authority.split("\n", 1)[0],
        "court_name": court["name"] if court else "",
        "court_address": court["address"] if court else "",
        "submitted_date": _date(context.get("submitted_at")).strftime("%d.%m.%Y") if context.get("submitted_at") else "",
        "proof_deadline": _date(context.get("proof_deadline")).strftime("%d.%m.%Y") if context.get("proof_deadline") else "",
        "signer": context.get("signer") or "",
        "ministry": texts["ministry"].body.strip() if "ministry" in texts and (
            not legal_versions or "ministry" in legal_versions) else "",
        "bank_account": _bank_text(context.get("bank")),
        "receipt_days": {3: "dritten", 4: "vierten"}.get(decision_rules.receipt_days(), str(decision_rules.receipt_days())),
        "early_start_from": (_date(context.get("early_start_from")).strftime("%d.%m.%Y")
                             if context.get("early_start_from") else ""),
        # proof of use (applications/proof): months as the Nebenbestimmungen word them, interim due dates
        "proof_final_months": _MONTH_WORDS.get(context.get("proof_final_months") or 6, str(context.get("proof_final_months"))),
        "proof_final_month_ordinal": _MONTH_ORDINALS.get(context.get("proof_final_months") or 6,
                                                         f"{context.get('proof_final_months')}."),
        "proof_interim_months": _MONTH_WORDS.get(context.get("proof_interim_months") or 4,
                                                 str(context.get("proof_interim_months"))),
        "proof_interim_deadlines": "; ".join(
            f"für {d['year']} bis zum {_date(d['due_on']):%d.%m.%Y}" for d in context.get("proof_interim") or []),
        "authority_years": _years_text(context.get("authority_years") or []),
        "authority_budget_year": str(context.get("authority_budget_year") or ""),
        "forwarding_cap": format_eur(_amount((context.get("forwarding") or {}).get("cap")) or Decimal("0")),
    }
    if legal_versions:
        # A notice keeps what it said: blocks introduced after it was decided (e.g. the ministry's current name, the
        # legal basis) are not added when it is rendered again.
        for key in ("ministry", "legal_basis", "delivery", "early_start_consent", "proof_of_use_interim",
                    "commitment_authority", "forwarding", "early_start_refusal"):
            if key not in legal_versions:
                texts.pop(key, None)
                values[key] = ""
    blocks = {key: legal.paragraphs(legal.fill(text.body, values)) for key, text in texts.items()}
    plan_years = [
        {**p, **{k: _amount(p[k]) for k in ("own_funds", "third_party_funds", "other_public_funds",
                                              "requested_grant", "approved_grant")}}
        for p in context.get("plan_years", [])
    ]
    cost_items = [
        {**c, "amount": _amount(c["amount"]),
         # snapshots from before per-line decisions carry no approved amount: the plan was approved as applied for
         "approved_amount": _amount(c["approved_amount"]) if c.get("approved_amount") is not None
         else _amount(c["amount"])}
        for c in context.get("cost_items", [])
    ]
    eligible_items = [c for c in cost_items if c["approved_amount"] > 0]
    excluded_items = [c for c in cost_items if c["approved_amount"] == 0]
    reduced_items = [c for c in cost_items if 0 < c["approved_amount"] < c["amount"]]
    financing = [{**f, **{k: _amount(f[k]) for k in ("eligible", "other_income", "requested", "grant")}}
                 for f in context.get("financing", [])]
    unit_basis = [{**u, "rate": _amount(u["rate"]), "amount": _amount(u["amount"]),
                   "quantity": u["quantity"].replace(".", ",")} for u in context.get("unit_basis", [])]
    recipient = context["recipient"]
    template_context = {
        "c": context,
        "kind": kind,
        "kind_label": SUBJECTS[kind],
        "number": number,
        "draft": draft,
        "date": _date(context["date"]),
        "period_start": _date(context.get("period_start")),
        "period_end": _date(context.get("period_end")),
        "submitted_at": _date(context.get("submitted_at")),
        "received_at": _date(context.get("received_at")),
        "proof_deadline": _date(context.get("proof_deadline")),
        "original_date": _date(context.get("original_date")),
        "amount": _amount(context.get("amount")),
        "previous_amount": _amount(context.get("previous_amount")),
        "requested_amount": _amount(context.get("requested_amount")),
        "total_costs": _amount(context.get("total_costs")),
        "funding_rate": _amount(context.get("funding_rate")),
        "funding_rate_text": _percent(context.get("funding_rate")),
        "partial": (context.get("amount") is not None and context.get("requested_amount") is not None
                    and _amount(context["amount"]) < _amount(context["requested_amount"])),
        "cost_items": cost_items,
        "eligible_items": eligible_items,
        "excluded_items": excluded_items,
        "reduced_items": reduced_items,
        "not_eligible_total": sum((c["amount"] - c["approved_amount"] for c in cost_items), Decimal("0.00")),
        "financing": financing,
        "unit_basis": unit_basis,
        "unit_basis_total": sum((u["amount"] for u in unit_basis), Decimal("0.00")),
        "bank": context.get("bank") or {},
        "early_start_from": _date(context.get("early_start_from")),
        # years booked against commitment authority (VE) and the Weiterleitung of Mikroprojekte (issue 12); notices
        # decided before these blocks existed carry neither and keep saying what they said
        "authority_years": context.get("authority_years") or [],
        "forwarding": context.get("forwarding") if "forwarding" in texts else None,
        "amendment_requested_at": _date((context.get("amendment") or {}).get("requested_at")),
        "amendment_old_end": _date((context.get("amendment") or {}).get("old_period_end"))
        if (context.get("amendment") or {}).get("new_period_end") else None,
        "amendment_years": [{"year": y["year"], "old": _amount(y["old"]), "new": _amount(y["new"])}
                            for y in (context.get("amendment") or {}).get("years", [])],
        "cost_total": sum((c["approved_amount"] for c in cost_items), Decimal("0.00")),
        "requested_cost_total": sum((c["amount"] for c in cost_items), Decimal("0.00")),
        "plan_years": plan_years,
        "recipient": recipient,
        "court": court,
        "texts": blocks,
        "authority_lines": authority.split("\n"),
        "ministry": values["ministry"],
        # Notices decided before the legal-form split said GK for every "municipal" kind; they keep saying it.
        "anbest_key": context.get("anbest_key") or ("anbest_gk" if recipient.get("is_municipal") else "anbest_p"),
        "line_conditions": legal.paragraphs(context.get("line_conditions") or ""),
        "reasons": legal.paragraphs(context.get("reasons") or ""),
        "purpose": legal.paragraphs(context.get("purpose") or ""),
        "early_start_reason": legal.paragraphs(context.get("early_start_reason") or ""),
        "proof_interim": [{"year": d["year"], "due_on": _date(d["due_on"])} for d in context.get("proof_interim") or []],
        "proof": context.get("proof") or {},
    }
    html = render_to_string(TEMPLATES[kind], template_context)
    file_number = context.get("file_number") or ""
    title = f"{SUBJECTS[kind]} {file_number}".strip()
    subject = f"{SUBJECTS[kind]} – Landesprogramm WIR, {context['line']} {context['year']}: {context['title']}"
    keywords = [file_number, number, "Landesprogramm WIR", context["line"]]
    return Rendered(html=html, title=title, subject=subject, keywords=keywords, court=court)


def _bank_text(bank) -> str:
    if not bank or not bank.get("iban"):
        return "der Organisation"
    holder = f" ({bank['holder']})" if bank.get("holder") else ""
    return f"IBAN {bank['iban']}{holder}"


def _render(notice: Notice, *, draft: bool = False) -> tuple[bytes, Rendered]:
    context = dict(notice.context)
    if context["kind"] in NEEDS_REMEDIES and not context.get("court"):
        context["court"] = court_for(notice.application.organisation)  # raises NoticeError if still unknown
    rendered = notice_html(context=context, legal_versions=notice.legal_versions, number=notice.number, draft=draft)
    pdf = render_pdf(rendered.html, title=rendered.title, author=DEFAULT_AUTHOR, subject=rendered.subject,
                     keywords=rendered.keywords)
    return pdf, rendered


# --- The claimed steps ---------------------------------------------------------------------------------------

def _locked(notice_id: int) -> Notice:
    return Notice.objects.select_for_update(of=("self",)).get(pk=notice_id)


def _claim(notice_id: int, *, ready: set[str], working: str) -> tuple[Notice | None, str]:
    """Take the notice for one step. Returns (notice, status) — notice None means: nothing to do here."""
    now = timezone.now()
    with transaction.atomic():
        notice = _locked(notice_id)
        stale = notice.status == working and (notice.claimed_at is None or notice.claimed_at < now - lease())
        if notice.status not in ready and not stale:
            return None, notice.status
        notice.status, notice.claimed_at = working, now
        notice.attempts += 1
        notice.save(update_fields=["status", "claimed_at", "attempts"])
    return notice, working


def _still_ours(notice: Notice, claimed_at) -> bool:
    return notice.status in (NoticeStatus.RENDERING, NoticeStatus.SENDING) and notice.claimed_at == claimed_at


def notice_render(*, notice_id: int) -> str:
    """Render and store the PDF once. Returns the resulting status (rendered → ready to send)."""
    notice, status = _claim(notice_id, ready={NoticeStatus.QUEUED}, working=NoticeStatus.RENDERING)
    if notice is None:
        return status
    claimed_at = notice.claimed_at
    try:
        notice = Notice.objects.select_related("application__organisation__district__landkreis__court",
                                               "application__organisation__entity__landkreis__court",
                                               "application__organisation__district__court",
                                               "application__organisation__entity__court").get(pk=notice_id)
        pdf, rendered = _render(notice)
    except NoticeError as exc:
        notice_fail(notice_id=notice_id, error=str(exc))
        raise
    except Exception as exc:
        _release(notice_id, claimed_at, back_to=NoticeStatus.QUEUED, error=exc)
        raise
    with transaction.atomic():
        current = _locked(notice_id)
        if not _still_ours(current, claimed_at):
            log.warning("notice %s: render claim lost, discarding PDF", notice_id)
            return current.status
        if rendered.court and not current.context.get("court"):
            current.context = {**current.context, "court": rendered.court}
        current.pdf.save(f"{current.pk}.pdf", ContentFile(pdf), save=False)
        current.sha256 = hashlib.sha256(pdf).hexdigest()
        current.status, current.claimed_at = NoticeStatus.RENDERED, None
        current.rendered_at = timezone.now()
        current.last_error = ""
        current.save(update_fields=["pdf", "sha256", "status", "claimed_at", "rendered_at", "last_error", "context"])
    return NoticeStatus.RENDERED


def notice_message_id(notice: Notice) -> str:
    """The Message-ID of the notice's next delivery: the same for every attempt of one delivery (a worker that died
    after the SMTP server had accepted the mail but before it was marked sent sends it again when its claim has
    expired — receiving mail systems that drop duplicate Message-IDs then keep one), new for a resend by staff."""
    return f"<wir-bescheid-{notice.pk}-{notice.send_count + 1}@{_mail_domain()}>"


def notice_send(*, notice_id: int, in_process: bool = False) -> str:
    """Hand the rendered PDF to the mail outbox once per delivery and queue the mail's send task (this runs in the
    notice task, after the commit). A duplicate or retried task finds the notice "sending" and only queues its mail
    again — the mail row's lock decides who sends. Retries of the mail belong to the mail outbox. Returns the
    notice's resulting status."""
    with transaction.atomic():
        notice = _locked(notice_id)
        if notice.status == NoticeStatus.RENDERED:
            mail = notice_mail_queue(notice)
            notice.status, notice.claimed_at = NoticeStatus.SENDING, None
            notice.attempts += 1
            notice.save(update_fields=["status", "claimed_at", "attempts"])
        elif notice.status == NoticeStatus.SENDING:
            mail = OutboundMail.objects.filter(notice=notice, delivery=notice.send_count + 1).first()
            if mail is None:  # sending left over from before the mail outbox: hand over now
                mail = notice_mail_queue(notice)
        else:
            return notice.status
    if in_process:  # notice_run: the whole pipeline in this process (benchmarks, management commands)
        try:
            mail_send(mail_id=mail.pk)
        except Exception:  # noqa: BLE001 - recorded on the mail row (backoff); the sweep retries
            log.warning("notice %s: mail %s not sent yet", notice_id, mail.pk)
    else:
        from applications.notices.tasks import mail_send as task  # the task calls back into this module

        task.delay(mail.pk)  # committed already (the notice task runs outside a transaction); eager: sent here
    return Notice.objects.values_list("status", flat=True).get(pk=notice_id)


def notice_mail_queue(notice: Notice) -> OutboundMail:
    """The OutboundMail of the notice's next delivery (created, or the failed one queued again — the same delivery
    keeps its Message-ID). Call under the notice's row lock."""
    delivery = notice.send_count + 1
    mail = OutboundMail.objects.select_for_update().filter(notice=notice, delivery=delivery).first()
    if mail is not None:
        if mail.status == MailStatus.FAILED:  # staff retry the notice: its mail gets a full set of attempts again
            mail.status, mail.claimed_at, mail.next_attempt_at = MailStatus.QUEUED, None, timezone.now()
            mail.attempts = 0
            mail.save(update_fields=["status", "claimed_at", "next_attempt_at", "attempts"])
        return mail
    context = notice.context
    file_number = context.get("file_number") or notice.application.file_number or ""
    kind_label = SUBJECTS[notice.kind]
    mail_context = {"notice": notice, "c": context, "kind_label": kind_label, "file_number": file_number,
                    "site_url": settings.SITE_URL, "date": _date(context.get("date"))}
    return mail_queue(
        kind=f"notice_{notice.kind}", to=list(context.get("recipients") or [notice.application.organisation.email]),
        subject=f"{kind_label} zu Ihrem Antrag {file_number} – Landesprogramm WIR",
        text=render_to_string("mail/notice.txt", mail_context), html=render_to_string("mail/notice.html", mail_context),
        application=notice.application, notice=notice, delivery=delivery, enqueue=False,
    )


def _notice_attachment(notice: Notice, pdf: bytes) -> tuple[str, bytes, str]:
    file_number = notice.context.get("file_number") or notice.application.file_number or ""
    return f"{SUBJECTS[notice.kind]}_{file_number}.pdf".replace(" ", "_"), pdf, "application/pdf"


def _notice_delivered(mail: OutboundMail, now) -> None:
    """The notice's mail was accepted by the mail server: the notice is sent (in the mail's finishing transaction)."""
    from applications.audit import event_record

    notice = _locked(mail.notice_id)
    if notice.status == NoticeStatus.SENT and notice.send_count >= mail.delivery:
        return
    notice.status, notice.claimed_at, notice.sent_at = NoticeStatus.SENT, None, now
    notice.first_sent_at = notice.first_sent_at or now  # the Bekanntgabe counts from the first delivery
    notice.send_count = max(notice.send_count, mail.delivery)
    notice.last_error = ""
    notice.save(update_fields=["status", "claimed_at", "sent_at", "first_sent_at", "send_count", "last_error"])
    event_record(application=notice.application, user=None, action="notice_sent",
                 reason=f"{SUBJECTS[notice.kind]} {notice.number} per E-Mail versandt")


def _release(notice_id: int, claimed_at, *, back_to: str, error: Exception) -> None:
    """A step failed transiently: hand the notice back for the retry and record the error."""
    with transaction.atomic():
        current = _locked(notice_id)
        if _still_ours(current, claimed_at):
            current.status, current.claimed_at = back_to, None
        current.last_error = f"{type(error).__name__}: {error}"[:2000]
        current.save(update_fields=["status", "claimed_at", "last_error"])


def notice_fail(*, notice_id: int, error: str) -> None:
    """The last retry failed or the data is wrong: visible to staff, who can retry from the admin."""
    with transaction.atomic():
        current = _locked(notice_id)
        if current.status == NoticeStatus.SENT:
            return
        current.status, current.claimed_at = NoticeStatus.FAILED, None
        current.last_error = error[:2000]
        current.save(update_fields=["status", "claimed_at", "last_error"])
        OutboundMail.objects.filter(notice=current, delivery=current.send_count + 1,
                                    status=MailStatus.QUEUED).update(status=MailStatus.FAILED, last_error=error[:2000])
    log.error("notice %s failed: %s", notice_id, error)


def notice_run(*, notice_id: int, task=None) -> str:  # noqa: ARG001 - kept for callers of the old signature
    """The whole pipeline in this process (no retries): render if needed, then send."""
    status = notice_render(notice_id=notice_id)
    if status in (NoticeStatus.RENDERED, NoticeStatus.SENDING):
        status = notice_send(notice_id=notice_id, in_process=True)
    return status


# --- Staff actions ---------------------------------------------------------------------------------------------

def notice_retry(*, notice: Notice, user) -> Notice:
    """Retry a failed notice: from the stored PDF if there is one, otherwise render again."""
    from applications.audit import ApplicationError, event_record

    with transaction.atomic():
        current = _locked(notice.pk)
        if current.status != NoticeStatus.FAILED:
            raise ApplicationError("Nur fehlgeschlagene Bescheide können erneut versucht werden.")
        current.status = NoticeStatus.RENDERED if current.pdf and current.sha256 else NoticeStatus.QUEUED
        current.claimed_at = None
        current.save(update_fields=["status", "claimed_at"])
        event_record(application=current.application, user=user, action="notice_retry",
                     reason=f"{SUBJECTS[current.kind]} {current.number}: erneuter Versuch ({current.last_error[:200]})",
                     visible_to_applicant=False)
        notice_enqueue(notice_id=current.pk)
    return current


def notice_resend(*, notice: Notice, user) -> Notice:
    """Send an already sent notice again on purpose (same PDF); logged."""
    from applications.audit import ApplicationError, event_record

    with transaction.atomic():
        current = _locked(notice.pk)
        if current.status != NoticeStatus.SENT:
            raise ApplicationError("Nur bereits versandte Bescheide können erneut versendet werden.")
        current.status = NoticeStatus.RENDERED
        current.save(update_fields=["status"])
        event_record(application=current.application, user=user, action="notice_resend",
                     reason=f"{SUBJECTS[current.kind]} {current.number} erneut versendet", visible_to_applicant=False)
        notice_enqueue(notice_id=current.pk)
    return current


def notice_preview_pdf(*, application: Application, kind: str, amount: Decimal | None = None,
                       reasons: str = "") -> bytes:
    """A draft ("ENTWURF") of the notice a decision would produce; saves nothing. Raises NoticeError."""
    context = notice_context_build(application=application, kind=kind, amount=amount,
                                   previous_amount=application.approved_amount if kind == NoticeKind.AMENDMENT else None,
                                   reasons=reasons)
    if kind in NEEDS_REMEDIES and not context.get("court"):
        context["court"] = court_for(application.organisation)
    rendered = notice_html(context=context, legal_versions=legal_versions_for(kind), number="ENTWURF", draft=True)
    return render_pdf(rendered.html, title=f"ENTWURF {rendered.title}", subject=rendered.subject,
                      keywords=rendered.keywords)


def notice_preview(*, application: Application, user=None, kind: str | None = None,  # noqa: ARG001
                   amount: Decimal | None = None, reasons: str = "") -> bytes:
    """Preview for the admin's decision page: the notice the current recommendation would produce (ENTWURF).
    Data problems come back as the services' ApplicationError so the admin shows a message, not a 500."""
    from applications.audit import ApplicationError

    if kind is None:
        kind = NoticeKind.REJECTION if application.recommendation == "reject" else NoticeKind.APPROVAL
    if kind == NoticeKind.APPROVAL and amount is None:
        amount = application.approved_amount or application.requested_amount
    try:
        return notice_preview_pdf(application=application, kind=kind, amount=amount,
                                  reasons=reasons or application.decision_reasons)
    except NoticeError as exc:
        raise ApplicationError(str(exc)) from exc


def notice_create(*, application, kind: str, user, amount: Decimal | None = None,
                  previous_amount: Decimal | None = None, reasons: str = "", extra: dict | None = None) -> Notice:
    """Create the outbox row in the caller's transaction; the render task is queued only after commit."""
    number = f"{application.file_number or application.pk}/{application.notices.count() + 1}"
    notice = Notice.objects.create(
        application=application, kind=kind, amount=amount, previous_amount=previous_amount,
        reasons=reasons.strip(), created_by=user, number=number,
        context={**notice_context_build(application=application, kind=kind, amount=amount,
                                        previous_amount=previous_amount, reasons=reasons,
                                        signer=(user.get_full_name() or user.get_username()) if user else ""),
                 **(extra or {})},  # e.g. what an Änderungsantrag changed
        legal_versions=legal_versions_for(kind),
    )
    notice_enqueue(notice_id=notice.pk)
    return notice


def notice_enqueue(*, notice_id: int) -> None:
    from applications.notices.tasks import notice_render  # the task calls back into this module

    transaction.on_commit(lambda: notice_render.delay(notice_id))


# --- Outgoing mail: one outbox for every e-mail the portal sends -------------------------------------------------

def _mail_domain() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "wir-portal.invalid"


def mail_max_attempts() -> int:
    return int(settings.WIR_NOTICE_MAX_RETRIES) + 1


def mail_backoff(attempts: int) -> datetime.timedelta:
    """Exponential backoff after the n-th failed attempt: base, 2·base, 4·base … (WIR_NOTICE_RETRY_BASE_SECONDS)."""
    return datetime.timedelta(seconds=max(1, round(settings.WIR_NOTICE_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1))))


def mail_queue(*, kind: str, to: list[str], subject: str, text: str, html: str = "", sensitive: bool = False,
               application: Application | None = None, notice: Notice | None = None, delivery: int = 1,
               enqueue: bool = True) -> OutboundMail:
    """Write one outgoing mail in the caller's transaction; the send task is queued after the commit. A mail
    server that is down then costs a retry, never an error page or the mail."""
    recipients = list(dict.fromkeys(t.strip() for t in to if t and t.strip()))
    mail = OutboundMail.objects.create(kind=kind, to=recipients, subject=subject.replace("\n", " ").strip()[:300],
                                       body_text=text, body_html=html or "", sensitive=sensitive,
                                       application=application, notice=notice, delivery=delivery)
    if enqueue:
        mail_enqueue(mail_id=mail.pk)
    return mail


def mail_enqueue(*, mail_id: int) -> None:
    from applications.notices.tasks import mail_send as task  # the task calls back into this module

    # robust: a broker that is down must not turn the committed change into an error page; the sweep
    # (mail_outbox_flush, every minute) sends what was not queued.
    transaction.on_commit(lambda: task.delay(mail_id), robust=True)


def mail_message_id(mail: OutboundMail) -> str:
    """One Message-ID per delivery: kept by every retry of that delivery, new when staff send the mail again."""
    if mail.notice_id:
        return f"<wir-bescheid-{mail.notice_id}-{mail.delivery}@{_mail_domain()}>"
    return f"<wir-mail-{mail.pk}-{mail.send_count + 1}@{_mail_domain()}>"


def _message(mail: OutboundMail, *, attachment: tuple[str, bytes, str] | None = None) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(subject=mail.subject, body=mail.body_text, to=list(mail.to),
                                     headers={"Message-ID": mail_message_id(mail)})
    if mail.body_html:
        message.attach_alternative(mail.body_html, "text/html")
    if attachment:
        message.attach(*attachment)
    return message


def _mail_locked(mail_id: int, *, skip_locked: bool = False) -> OutboundMail | None:
    qs = OutboundMail.objects.select_for_update(skip_locked=skip_locked).filter(pk=mail_id)
    return qs.first()


def _mail_claim(mail_id: int) -> tuple[OutboundMail | None, str]:
    """Take the mail for sending. A row locked by another worker is skipped (it is being claimed right now)."""
    now = timezone.now()
    with transaction.atomic():
        mail = _mail_locked(mail_id, skip_locked=True)
        if mail is None:
            if not OutboundMail.objects.filter(pk=mail_id).exists():
                raise OutboundMail.DoesNotExist(mail_id)
            return None, "busy"
        stale = mail.status == MailStatus.SENDING and (mail.claimed_at is None or mail.claimed_at < now - lease())
        if mail.status != MailStatus.QUEUED and not stale:
            return None, mail.status
        mail.status, mail.claimed_at = MailStatus.SENDING, now
        mail.attempts += 1
        mail.save(update_fields=["status", "claimed_at", "attempts"])
    return mail, MailStatus.SENDING


def mail_send(*, mail_id: int) -> str:
    """Send one queued mail once. Returns the mail's resulting status; a transport error is recorded (backoff) and
    raised for the task to retry."""
    mail, status = _mail_claim(mail_id)
    if mail is None:
        return status
    claimed_at = mail.claimed_at
    try:
        attachment = None
        if mail.notice_id:
            notice = Notice.objects.select_related("application").get(pk=mail.notice_id)
            with notice.pdf.open("rb") as fh:
                pdf = fh.read()
            if hashlib.sha256(pdf).hexdigest() != notice.sha256:
                raise NoticeError("Die gespeicherte PDF-Datei stimmt nicht mit ihrer Prüfsumme überein.")
            attachment = _notice_attachment(notice, pdf)
        _message(mail, attachment=attachment).send()
    except NoticeError as exc:
        _mail_release(mail_id, claimed_at, error=exc, final=True)
        raise
    except Exception as exc:
        _mail_release(mail_id, claimed_at, error=exc)
        raise
    now = timezone.now()
    with transaction.atomic():
        current = _mail_locked(mail_id)
        if not (current.status == MailStatus.SENDING and current.claimed_at == claimed_at):
            log.warning("mail %s: sent, but the claim was taken over meanwhile", mail_id)
        current.status, current.claimed_at, current.sent_at = MailStatus.SENT, None, now
        current.send_count += 1
        current.last_error = ""
        fields = ["status", "claimed_at", "sent_at", "send_count", "last_error"]
        if current.sensitive:  # a one-time link is not kept once it has left
            current.body_text = current.body_html = ""
            fields += ["body_text", "body_html"]
        current.save(update_fields=fields)
        if current.notice_id:
            _notice_delivered(current, now)
    return MailStatus.SENT


def _mail_release(mail_id: int, claimed_at, *, error: Exception, final: bool = False) -> None:
    """An attempt failed: back to the queue with a backoff, or failed for good after the last attempt."""
    text = f"{type(error).__name__}: {error}"[:2000]
    with transaction.atomic():
        current = _mail_locked(mail_id)
        if current.status == MailStatus.SENDING and current.claimed_at == claimed_at:
            final = final or current.attempts >= mail_max_attempts()
            current.status = MailStatus.FAILED if final else MailStatus.QUEUED
            current.claimed_at = None
            current.next_attempt_at = timezone.now() + mail_backoff(current.attempts)
        current.last_error = text
        current.save(update_fields=["status", "claimed_at", "next_attempt_at", "last_error"])
        if current.notice_id:
            notice = _locked(current.notice_id)
            notice.last_error = text
            fields = ["last_error"]
            if current.status == MailStatus.FAILED and notice.status == NoticeStatus.SENDING:
                notice.status = NoticeStatus.FAILED
                fields.append("status")
            notice.save(update_fields=fields)
    log.warning("mail %s (%s): %s", mail_id, "failed" if final else "will be retried", text)


def mail_outbox_flush(*, now=None, limit: int = 500) -> dict[str, int]:
    """Send every mail that is due (queued with its backoff over, or a claim abandoned by a dead worker). Run by
    Celery beat every minute and by `manage.py outbox_send`; safe to run in several processes at once."""
    now = now or timezone.now()
    due = list(
        OutboundMail.objects.filter(_due(now)).order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit]
    )
    counts: dict[str, int] = {}
    for mail_id in due:
        try:
            status = mail_send(mail_id=mail_id)
        except Exception:  # noqa: BLE001 - recorded on the row; the next sweep retries
            status = "error"
        counts[status] = counts.get(status, 0) + 1
    return counts


def _due(now):
    from django.db.models import Q

    return (Q(status=MailStatus.QUEUED, next_attempt_at__lte=now)
            | Q(status=MailStatus.SENDING, claimed_at__lt=now - lease()))


def mail_retry(*, mail: OutboundMail, user) -> OutboundMail:
    """Staff: send a failed mail again (same delivery, same Message-ID)."""
    from applications.audit import ApplicationError

    with transaction.atomic():
        current = _mail_locked(mail.pk)
        if current.status != MailStatus.FAILED:
            raise ApplicationError("Nur fehlgeschlagene E-Mails können erneut versucht werden.")
        current.status, current.claimed_at, current.next_attempt_at = MailStatus.QUEUED, None, timezone.now()
        current.attempts = 0
        current.save(update_fields=["status", "claimed_at", "next_attempt_at", "attempts"])
        if current.notice_id:
            Notice.objects.filter(pk=current.notice_id, status=NoticeStatus.FAILED).update(status=NoticeStatus.SENDING)
        log.info("mail %s queued again by user %s", current.pk, getattr(user, "pk", None))
        mail_enqueue(mail_id=current.pk)
    return current


def mail_resend(*, mail: OutboundMail, user) -> OutboundMail:
    """Staff: send an already sent mail again (a new delivery, a new Message-ID). Not for mails with a one-time
    link (their text is gone; the person requests a new link) nor for notices (resent from the notice)."""
    from applications.audit import ApplicationError

    with transaction.atomic():
        current = _mail_locked(mail.pk)
        if current.status != MailStatus.SENT:
            raise ApplicationError("Nur versandte E-Mails können erneut versendet werden.")
        if current.sensitive or current.notice_id:
            raise ApplicationError("Diese E-Mail kann hier nicht erneut versendet werden (einmaliger Link oder "
                                   "Bescheid: bitte beim Bescheid erneut versenden bzw. einen neuen Link anfordern).")
        current.status, current.claimed_at, current.next_attempt_at = MailStatus.QUEUED, None, timezone.now()
        current.attempts = 0
        current.save(update_fields=["status", "claimed_at", "next_attempt_at", "attempts"])
        log.info("mail %s resent by user %s", current.pk, getattr(user, "pk", None))
        mail_enqueue(mail_id=current.pk)
    return current


def mail_queue_many(mails: list[dict]) -> list[OutboundMail]:
    """`mail_queue` for many mails (a payment run's notifications): one batch insert in the caller's transaction,
    the send tasks queued after the commit in one callback (what it does not queue, the sweep sends). Each dict:
    kind, to, subject, text, html (optional), application (optional)."""
    rows = [OutboundMail(kind=m["kind"], to=list(dict.fromkeys(t.strip() for t in m["to"] if t and t.strip())),
                         subject=m["subject"].replace("\n", " ").strip()[:300], body_text=m["text"],
                         body_html=m.get("html") or "", sensitive=m.get("sensitive", False),
                         application=m.get("application"))
            for m in mails]
    rows = OutboundMail.objects.bulk_create(rows, batch_size=1000)
    ids = [r.pk for r in rows]

    def enqueue() -> None:
        from applications.notices.tasks import mail_send as task

        for mail_id in ids:
            task.delay(mail_id)

    if ids:
        transaction.on_commit(enqueue, robust=True)
    return rows
