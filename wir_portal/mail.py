"""Templated e-mail: one plain-text body (and an optional HTML part) rendered from templates/mail/, written to the
mail outbox (applications/notices/outbox.py) in the caller's transaction and sent by a worker after the commit —
with retries and backoff, visible to staff. A mail server that is down costs a retry, never an error page or the
mail. `sensitive` marks mails with a one-time link (their text is not shown in the admin and erased once sent).

Plain-text bodies are rendered with autoescaping off (a .txt mail is not HTML: `"` stays `"`, not `&quot;`),
whatever the template says; HTML parts keep Django's autoescaping. A mail that cannot be built (a header with a
line break) raises MailBuildError before anything is queued — callers report it as a failure, never as
"versandt".
"""

import re

from django.conf import settings
from django.template import Context
from django.template.loader import get_template, render_to_string

SUBJECT_MAX = 150
FREE_TEXT_IN_SUBJECT_MAX = 60
_LINK = re.compile(r"(?i)(?:[a-z][a-z0-9+.-]*://|www\.|@|\b[a-z0-9-]+\.(?:[a-z]{2,24})(?:/|\b))")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class MailBuildError(ValueError):
    """The mail could not be built (bad header); nothing was sent."""


def render_text(template_name: str, context: dict) -> str:
    """Render a plain-text mail template without HTML autoescaping."""
    template = get_template(template_name)
    engine_template = getattr(template, "template", None)
    if engine_template is None:  # not the Django engine
        return template.render(context)
    return engine_template.render(Context(context, autoescape=False))


def subject_text(value, *, limit: int = FREE_TEXT_IN_SUBJECT_MAX) -> str:
    """Free text (an organisation's name, a title) made fit for a subject line: one line, no links or addresses
    (a link-looking part is cut off), at most `limit` characters."""
    text = " ".join(_CONTROL.sub(" ", str(value or "")).split())
    match = _LINK.search(text)
    if match:
        text = text[: match.start()].rstrip(" .:/-")
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def _checked(*, to: list[str], subject: str) -> list[str]:
    if _CONTROL.search(subject) or len(subject) > SUBJECT_MAX:
        raise MailBuildError(f"Betreff ungültig: {subject[:80]!r}")
    recipients = [t for t in to if t]
    if any(_CONTROL.search(t) for t in recipients):
        raise MailBuildError("Empfängeradresse ungültig")
    return recipients


def render_templated(*, template: str, context: dict) -> tuple[str, str]:
    """The plain-text body (no autoescaping) and the optional HTML part of a mail template."""
    context = {"site_url": settings.SITE_URL, **context}
    text = render_text(f"mail/{template}.txt", context)
    try:
        html = render_to_string(f"mail/{template}.html", context)
    except Exception:  # noqa: BLE001 - an HTML part is optional
        html = ""
    return text, html


def send_templated(*, to: list[str], subject: str, template: str, context: dict, sensitive: bool = False,
                   application=None) -> None:
    """Check, render and queue a mail in the caller's transaction (sent after the commit)."""
    from applications.notices.outbox import mail_queue  # the outbox row lives with the applications app

    recipients = _checked(to=to, subject=subject)
    text, html = render_templated(template=template, context=context)
    mail_queue(kind=template, to=recipients, subject=subject, text=text, html=html, sensitive=sensitive,
               application=application)


def send_templated_many(items: list[dict]) -> None:
    """`send_templated` for many mails at once (a payment run): each checked and rendered, all queued in one batch
    insert. Each dict: to, subject, template, context, application (optional)."""
    from applications.notices.outbox import mail_queue_many

    mails = []
    for item in items:
        recipients = _checked(to=item["to"], subject=item["subject"])
        if not recipients:
            continue
        text, html = render_templated(template=item["template"], context=item["context"])
        mails.append({"kind": item["template"], "to": recipients, "subject": item["subject"], "text": text,
                      "html": html, "application": item.get("application")})
    mail_queue_many(mails)
