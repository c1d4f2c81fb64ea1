"""Render and send a notice exactly once.

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

from applications.models import Application, Notice, NoticeKind, NoticeStatus
from applications.notices import legal
from applications.notices.documents import (
    SUBJECTS,
    NoticeError,
    court_for,
    legal_versions_for,
    notice_context_build,
)
from wir_portal.pdf import DEFAULT_AUTHOR, render_pdf

log = logging.getLogger(__name__)

TEMPLATES = {
    NoticeKind.APPROVAL: "notices/approval.html",
    NoticeKind.REJECTION: "notices/rejection.html",
    NoticeKind.AMENDMENT: "notices/amendment.html",
    NoticeKind.RECEIPT: "notices/receipt.html",
}
NEEDS_REMEDIES = {NoticeKind.APPROVAL, NoticeKind.REJECTION, NoticeKind.AMENDMENT}


def lease() -> datetime.timedelta:
    """How long a claim protects a notice from being taken over (longer than any task may run)."""
    return datetime.timedelta(seconds=int(getattr(settings, "CELERY_TASK_TIME_LIMIT", 300)) + 60)


# --- Turning the frozen JSON context into what the template needs ---------------------------------------------

def _date(value):
    return datetime.date.fromisoformat(value) if value else None


def _amount(value):
    return Decimal(value) if value is not None else None


def _percent(value) -> str:
    """'80.00' -> '80', '72.50' -> '72,5' (German decimal comma)."""
    if value is None:
        return ""
    text = f"{Decimal(value).normalize():f}"
    return text.replace(".", ",")


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
    }
    blocks = {key: legal.paragraphs(legal.fill(text.body, values)) for key, text in texts.items()}
    plan_years = [
        {**p, **{k: _amount(p[k]) for k in ("own_funds", "third_party_funds", "other_public_funds",
                                              "requested_grant", "approved_grant")}}
        for p in context.get("plan_years", [])
    ]
    cost_items = [{**c, "amount": _amount(c["amount"])} for c in context.get("cost_items", [])]
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
        "cost_total": sum((c["amount"] for c in cost_items), Decimal("0.00")),
        "plan_years": plan_years,
        "recipient": recipient,
        "court": court,
        "texts": blocks,
        "authority_lines": authority.split("\n"),
        "anbest_key": "anbest_gk" if recipient.get("is_municipal") else "anbest_p",
        "line_conditions": legal.paragraphs(context.get("line_conditions") or ""),
        "reasons": legal.paragraphs(context.get("reasons") or ""),
        "purpose": legal.paragraphs(context.get("purpose") or ""),
    }
    html = render_to_string(TEMPLATES[kind], template_context)
    file_number = context.get("file_number") or ""
    title = f"{SUBJECTS[kind]} {file_number}".strip()
    subject = f"{SUBJECTS[kind]} – Landesprogramm WIR, {context['line']} {context['year']}: {context['title']}"
    keywords = [file_number, number, "Landesprogramm WIR", context["line"]]
    return Rendered(html=html, title=title, subject=subject, keywords=keywords, court=court)


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
    """The Message-ID of this delivery of the notice: the same for every attempt of one delivery (a worker that died
    after the SMTP server had accepted the mail but before the notice was marked sent sends it again when its claim
    has expired — receiving mail systems that drop duplicate Message-IDs then keep one), new for a resend by staff."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "wir-portal.invalid"
    return f"<wir-bescheid-{notice.pk}-{notice.send_count + 1}@{domain}>"


def notice_email(notice: Notice, pdf: bytes) -> EmailMultiAlternatives:
    context = notice.context
    file_number = context.get("file_number") or notice.application.file_number or ""
    kind_label = SUBJECTS[notice.kind]
    mail_context = {"notice": notice, "c": context, "kind_label": kind_label, "file_number": file_number,
                    "site_url": settings.SITE_URL, "date": _date(context.get("date"))}
    message = EmailMultiAlternatives(
        subject=f"{kind_label} zu Ihrem Antrag {file_number} – Landesprogramm WIR",
        body=render_to_string("mail/notice.txt", mail_context),
        to=list(context.get("recipients") or [notice.application.organisation.email]),
        headers={"Message-ID": notice_message_id(notice)},
    )
    message.attach_alternative(render_to_string("mail/notice.html", mail_context), "text/html")
    message.attach(f"{kind_label}_{file_number}.pdf".replace(" ", "_"), pdf, "application/pdf")
    return message


def notice_send(*, notice_id: int) -> str:
    """Send the rendered PDF once (or again, after notice_resend). Returns the resulting status."""
    notice, status = _claim(notice_id, ready={NoticeStatus.RENDERED}, working=NoticeStatus.SENDING)
    if notice is None:
        return status
    claimed_at = notice.claimed_at
    try:
        notice = Notice.objects.select_related("application__organisation").get(pk=notice_id)
        with notice.pdf.open("rb") as fh:
            pdf = fh.read()
        if hashlib.sha256(pdf).hexdigest() != notice.sha256:
            raise NoticeError("Die gespeicherte PDF-Datei stimmt nicht mit ihrer Prüfsumme überein.")
        notice_email(notice, pdf).send()
    except NoticeError as exc:
        notice_fail(notice_id=notice_id, error=str(exc))
        raise
    except Exception as exc:
        _release(notice_id, claimed_at, back_to=NoticeStatus.RENDERED, error=exc)
        raise
    from applications.audit import event_record

    with transaction.atomic():
        current = _locked(notice_id)
        if not _still_ours(current, claimed_at):
            log.warning("notice %s: sent, but the claim was taken over meanwhile", notice_id)
        current.status, current.claimed_at = NoticeStatus.SENT, None
        current.sent_at = timezone.now()
        current.send_count += 1
        current.last_error = ""
        current.save(update_fields=["status", "claimed_at", "sent_at", "send_count", "last_error"])
        event_record(application=notice.application, user=None, action="notice_sent",
                     reason=f"{SUBJECTS[notice.kind]} {notice.number} per E-Mail versandt")
    return NoticeStatus.SENT


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
    log.error("notice %s failed: %s", notice_id, error)


def notice_run(*, notice_id: int, task=None) -> str:  # noqa: ARG001 - kept for callers of the old signature
    """The whole pipeline in this process (no retries): render if needed, then send."""
    status = notice_render(notice_id=notice_id)
    if status == NoticeStatus.RENDERED:
        status = notice_send(notice_id=notice_id)
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
                  previous_amount: Decimal | None = None, reasons: str = "") -> Notice:
    """Create the outbox row in the caller's transaction; the render task is queued only after commit."""
    number = f"{application.file_number or application.pk}/{application.notices.count() + 1}"
    notice = Notice.objects.create(
        application=application, kind=kind, amount=amount, previous_amount=previous_amount,
        reasons=reasons.strip(), created_by=user, number=number,
        context=notice_context_build(application=application, kind=kind, amount=amount,
                                     previous_amount=previous_amount, reasons=reasons,
                                     signer=(user.get_full_name() or user.get_username()) if user else ""),
        legal_versions=legal_versions_for(kind),
    )
    notice_enqueue(notice_id=notice.pk)
    return notice


def notice_enqueue(*, notice_id: int) -> None:
    from applications.notices.tasks import notice_render  # the task calls back into this module

    transaction.on_commit(lambda: notice_render.delay(notice_id))
