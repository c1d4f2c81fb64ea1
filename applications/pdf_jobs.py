"""PDFs that people ask for on a page (the applicant's application PDF, the staff's notice preview) are rendered
by a Celery task on the "pdf" queue, never in the web request (issue 16: a long application blocked a web worker
for half a minute). The result is stored privately under a name that contains a version of what it shows, so a
changed application gets a new PDF and an unchanged one is rendered once.

The view asks `pdf_ready(...)`: the stored file, or None after queueing the job (once: a cache marker); it then
shows a page "wird erstellt" that reloads itself. Without a broker (development, tests) the task runs eagerly
and the first request already gets the file.
"""

import datetime
import hashlib
import logging

from celery import shared_task
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import render_to_string

from applications import rules
from applications.models import Application, LegalText

log = logging.getLogger(__name__)

KINDS = ("application", "preview")
PENDING_SECONDS = 600


def _version(kind: str, application: Application) -> str:
    parts = [kind, str(application.pk), str(application.updated_at.timestamp() if application.updated_at else ""),
             str(application.submitted_at.timestamp() if application.submitted_at else "")]
    if kind == "preview":
        parts += [application.status, application.recommendation or "", str(application.approved_amount),
                  str(application.organisation.district_id), application.organisation.name,
                  str(LegalText.objects.order_by("-pk").values_list("pk", flat=True).first())]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


def pdf_path(kind: str, application: Application) -> str:
    return f"pdf-cache/{kind}/{application.pk}-{_version(kind, application)}.pdf"


def pdf_failure(kind: str, application: Application, *, consume: bool = False) -> str:
    """Why the last job for this version failed ('' if it did not). Consumed when shown: the next request tries
    again (e.g. after staff fixed the organisation's seat)."""
    key = f"wir:pdfjob:failed:{pdf_path(kind, application)}"
    failure = cache.get(key) or ""
    if failure and consume:
        cache.delete(key)
    return failure


def pdf_ready(kind: str, application: Application, *, user_id: int | None = None) -> str | None:
    """The stored PDF's path, or None after making sure a render job is queued."""
    path = pdf_path(kind, application)
    if default_storage.exists(path):
        return path
    if pdf_failure(kind, application):
        return None
    if cache.add(f"wir:pdfjob:pending:{path}", 1, PENDING_SECONDS):
        pdf_render.delay(kind, application.pk, path, user_id)  # a GET: what it renders is committed already
    return path if default_storage.exists(path) else None  # eager mode: rendered just now


@shared_task(name="applications.pdf_jobs.pdf_render", acks_late=True, soft_time_limit=240, time_limit=300)
def pdf_render(kind: str, application_id: int, path: str, user_id: int | None = None) -> str:
    from django.contrib.auth import get_user_model

    application = Application.objects.select_related("organisation__district", "rule__line",
                                                      "rule__programme_year").get(pk=application_id)
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    try:
        data = render_bytes(kind, application, user=user)
    except Exception as exc:  # noqa: BLE001 - shown to the person waiting, logged for staff
        log.exception("pdf job %s for application %s failed", kind, application_id)
        cache.set(f"wir:pdfjob:failed:{path}", str(exc) or type(exc).__name__, PENDING_SECONDS)
        return "failed"
    finally:
        cache.delete(f"wir:pdfjob:pending:{path}")
    if not default_storage.exists(path):
        default_storage.save(path, ContentFile(data))
    return "ok"


def render_bytes(kind: str, application: Application, *, user=None) -> bytes:
    if kind == "application":
        return application_pdf_bytes(application)
    if kind == "preview":
        from applications.notices.outbox import notice_preview

        return notice_preview(application=application, user=user)
    raise ValueError(kind)


def application_pdf_bytes(application: Application) -> bytes:
    """The application as submitted, as PDF (the safe WeasyPrint renderer)."""
    from wir_portal.pdf import render_pdf

    plan_years = list(application.plan_years.all())
    items = list(application.cost_items.all())
    for plan in plan_years:
        plan.items = [i for i in items if i.year == plan.year]
        plan.total_costs = sum((i.amount for i in plan.items), rules.ZERO)
    details = []
    for name, label, kind, _ in rules.line_fields(application.rule.line):
        value = (application.details or {}).get(name)
        if value in (None, ""):
            continue
        if kind == "money":
            value = rules.format_eur(value)
        elif kind == "decimal":
            value = str(value).replace(".", ",")
        elif kind == "date":
            try:
                value = datetime.date.fromisoformat(str(value)).strftime("%d.%m.%Y")
            except ValueError:
                pass
        details.append((label, value))
    html = render_to_string("portal/apply/application_pdf.html", {
        "application": application, "plan_years": plan_years, "details": details,
        "attachments": list(application.attachments.all()),
    })
    return render_pdf(html, title=f"Antrag {application.file_number}", subject=application.title)
