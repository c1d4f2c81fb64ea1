"""Templated e-mail: one plain-text body (and an optional HTML part) rendered from templates/mail/, written to the
mail outbox (applications/notices/outbox.py) in the caller's transaction and sent by a worker after the commit —
with retries and backoff, visible to staff. A mail server that is down costs a retry, never an error page or the
mail. The signature is the one every caller uses; `sensitive` marks mails with a one-time link."""

from django.conf import settings
from django.template.loader import render_to_string


def send_templated(*, to: list[str], subject: str, template: str, context: dict, sensitive: bool = False,
                   application=None) -> None:
    from applications.notices.outbox import mail_queue  # the outbox row lives with the applications app

    context = {"site_url": settings.SITE_URL, **context}
    text = render_to_string(f"mail/{template}.txt", context)
    try:
        html = render_to_string(f"mail/{template}.html", context)
    except Exception:  # noqa: BLE001 - an HTML part is optional
        html = ""
    mail_queue(kind=template, to=to, subject=subject, text=text, html=html, sensitive=sensitive,
               application=application)
