"""Templated e-mail: one plain-text body (and an optional HTML part) rendered from templates/mail/."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def send_templated(*, to: list[str], subject: str, template: str, context: dict) -> None:
    context = {"site_url": settings.SITE_URL, **context}
    text = render_to_string(f"mail/{template}.txt", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[t for t in to if t])
    try:
        html = render_to_string(f"mail/{template}.html", context)
    except Exception:  # noqa: BLE001 - an HTML part is optional
        html = None
    if html:
        message.attach_alternative(html, "text/html")
    message.send()

