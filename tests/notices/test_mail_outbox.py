"""The mail outbox seen from the pages: with the SMTP server down, every action that sends mail still answers
normally and loses nothing; once the server is back the outbox delivers exactly one mail per action.

A real SMTP server (aiosmtpd on a free loopback port) and Django's SMTP backend; committed transactions (so the
"after commit" hand-over really happens); Celery eager as in development (a broker-backed worker is in
test_worker.py and test_outbox_race.py)."""

import time

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from applications.models import (
    Application,
    MailStatus,
    Notice,
    NoticeKind,
    NoticeStatus,
    Organisation,
    OutboundMail,
    Role,
)
from applications.notices.outbox import mail_outbox_flush
from applications.workflow import Status
from tests.factories import DECLARATION_POST, UserFactory, application, attach_required, member, staff

from .test_worker import Sink, free_port, smtp_start

pytestmark = pytest.mark.django_db(transaction=True)

REGISTRANT = "fatma@verein.example"


def _smtp_settings(settings, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 3
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""


def _registration_data(district_pk: int) -> dict:
    return {
        "first_name": "Fatma", "last_name": "Yilmaz", "email": REGISTRANT,
        "password1": "Sonnenblume-2026!", "password2": "Sonnenblume-2026!",
        "org_name": "Brückenbauer e. V.", "kind": "migrantenorganisation", "district": district_pk,
        "street": "Rheinstraße 5", "postcode": "64283", "city": "Darmstadt", "org_email": "info@brueckenbauer.example",
        "phone": "06151 12345", "iban": "DE02 1203 0000 0000 2020 51", "account_holder": "Brückenbauer e. V.",
        "non_profit": "on", "register_number": "VR 4711", "privacy": "on",
    }


def _ok(response, what: str) -> None:
    """No error page: a redirect or a page, never 4xx/5xx."""
    assert response.status_code in (200, 302), (what, response.status_code)


def test_every_mail_survives_a_mail_server_outage_and_is_sent_exactly_once(client, seeded, settings):
    from funding.models import District

    cache.clear()  # the password-reset throttle counts in the cache
    port = free_port()
    _smtp_settings(settings, port)  # nothing listens on the port yet: the mail server is down
    giessen = Organisation.objects.get(entity__name="Landkreis Gießen")
    signer = UserFactory(first_name="Uta", last_name="Unterzeichnerin")
    member(signer, giessen, Role.SIGNATORY)
    org_admin = UserFactory(email="admin@giessen.example", username="admin@giessen.example")
    member(org_admin, giessen, Role.ADMIN)
    to_submit = application(organisation=giessen, user=signer, title="Neuer Antrag")
    attach_required(to_submit, signer)
    in_review = application(organisation=giessen, user=signer, title="In Prüfung", year=2026)
    recommended = application(organisation=giessen, user=signer, title="Votum erteilt", year=2026, code="vielfaltszentren")
    for app, status, number in ((in_review, Status.IN_REVIEW, "WIR-2026-FM-9101"),
                                (recommended, Status.RECOMMENDED, "WIR-2026-KO-9102")):
        Application.objects.filter(pk=app.pk).update(status=status, file_number=number, submitted_at=timezone.now(),
                                                     submitted_by=signer)
    review, decide = staff("Sachbearbeitung"), staff("Bewilligung")
    Application.objects.filter(pk=recommended.pk).update(recommended_by=review, recommendation="approve")

    # --- each action through its page, mail server down ---
    expected: dict[str, int] = {}

    def expect(subject_part: str) -> None:
        expected[subject_part] = expected.get(subject_part, 0) + 1

    _ok(client.post(reverse("portal:register"), _registration_data(District.objects.first().pk)), "registration")
    expect("Bitte bestätigen Sie Ihre E-Mail-Adresse")
    _ok(client.post(reverse("portal:register-resend"), {"email": REGISTRANT}), "new confirmation link")
    expect("Bitte bestätigen Sie Ihre E-Mail-Adresse")
    _ok(client.post(reverse("password_reset"), {"email": signer.email}), "password reset")
    expect("Neues Passwort festlegen")

    client.force_login(org_admin)
    _ok(client.post(reverse("portal:members", kwargs={"org_id": giessen.pk}),
                    {"email": "neu@giessen.example", "role": Role.MEMBER}), "invitation")
    expect("Einladung in die Organisation")

    client.force_login(signer)
    _ok(client.post(reverse("portal:application_submit", args=[to_submit.pk]), DECLARATION_POST), "submission")
    to_submit.refresh_from_db()
    assert to_submit.status == Status.SUBMITTED
    expect(f"Eingangsbestätigung zu Ihrem Antrag {to_submit.file_number}")

    client.force_login(review)
    registered = Organisation.objects.get(name="Brückenbauer e. V.")
    _ok(client.post(reverse("admin:applications_organisation_changelist"),
                    {"action": "verify", "_selected_action": [registered.pk]}), "verification")
    expect("Ihre Organisation ist freigeschaltet")
    _ok(client.post(reverse("admin:applications_application_decide", args=[in_review.pk, "request_changes"]),
                    {"message": "Bitte reichen Sie die Stellenbeschreibung nach."}), "request for changes")
    expect("Nachforderung zu Ihrem Antrag WIR-2026-FM-9101")

    client.force_login(decide)
    _ok(client.post(reverse("admin:applications_application_decide", args=[recommended.pk, "approve"]),
                    {"amount": "50.000,00", "reasons": ""}), "approval")
    expect("Zuwendungsbescheid zu Ihrem Antrag WIR-2026-KO-9102")

    # every state change was kept, every mail is waiting with its error, none was sent
    in_review.refresh_from_db()
    recommended.refresh_from_db()
    assert in_review.status == Status.CHANGES_REQUESTED and recommended.status == Status.APPROVED
    assert registered.__class__.objects.get(pk=registered.pk).verified_at is not None
    waiting = list(OutboundMail.objects.all())
    assert len(waiting) == sum(expected.values())
    assert all(m.status == MailStatus.QUEUED and m.attempts == 1 and m.last_error for m in waiting), [
        (m.subject, m.status, m.attempts, m.last_error) for m in waiting]
    assert Notice.objects.filter(status=NoticeStatus.SENDING).count() == 2  # receipt and approval: PDFs ready

    # --- the mail server is back: the outbox delivers ---
    sink = Sink()
    smtp = smtp_start(sink, port)
    try:
        assert mail_outbox_flush() == {}  # still within the backoff: nothing is due yet
        later = timezone.now() + timezone.timedelta(hours=2)
        assert mail_outbox_flush(now=later) == {MailStatus.SENT: len(waiting)}
        assert mail_outbox_flush(now=later + timezone.timedelta(days=1)) == {}  # a second sweep sends nothing
        time.sleep(0.3)
    finally:
        smtp.stop()
    received = {part: len(sink.with_subject(part)) for part in expected}
    assert received == expected
    assert len(sink.messages) == sum(expected.values())
    assert len({m["Message-ID"] for m in sink.messages}) == len(sink.messages)
    assert all(n.status == NoticeStatus.SENT and n.send_count == 1 for n in Notice.objects.all())
    approval = Notice.objects.get(application=recommended, kind=NoticeKind.APPROVAL)
    [approval_mail] = sink.with_subject("Zuwendungsbescheid")
    assert approval_mail["Message-ID"] == f"<wir-bescheid-{approval.pk}-1@rpda.hessen.de>"
    assert [p.get_content_type() for p in approval_mail.iter_attachments()] == ["application/pdf"]
    # mails with a one-time link keep no text once sent
    assert not OutboundMail.objects.filter(sensitive=True).exclude(body_text="").exists()
    assert OutboundMail.objects.filter(sensitive=True).count() == 4  # 2 confirmations, reset, invitation
