"""Outgoing e-mails that are not notices (requests for changes, invitations, registration)."""

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


def mail_changes_requested(*, message_id: int) -> None:
    from .models import Message

    msg = Message.objects.select_related("application__organisation").get(pk=message_id)
    app = msg.application
    send_templated(
        to=list({app.organisation.email, app.contact_email} - {""}),
        subject=f"Nachforderung zu Ihrem Antrag {app.file_number}",
        template="changes_requested",
        context={"application": app, "message": msg},
    )
