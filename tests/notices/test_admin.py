"""Staff side: the notices admin (retry, logged resend, PDF download) and versioned legal texts."""

import smtplib

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from applications.models import Event, LegalText, Notice, NoticeKind, NoticeStatus

from .conftest import decided, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_notice(giessen, people, monkeypatch, settings, django_capture_on_commit_callbacks):
    settings.WIR_NOTICE_MAX_RETRIES = 0  # the first failed attempt is the last
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(giessen)
    monkeypatch.setattr(EmailMultiAlternatives, "send",
                        lambda self, *a, **k: (_ for _ in ()).throw(smtplib.SMTPConnectError(421, "down")))
    with django_capture_on_commit_callbacks(execute=True):
        decided(app, people)
    monkeypatch.undo()
    notice = Notice.objects.get(application=app, kind=NoticeKind.APPROVAL)
    assert notice.status == NoticeStatus.FAILED
    mail.outbox.clear()
    return notice


def test_retry_then_resend_from_the_admin(client, people, failed_notice, django_capture_on_commit_callbacks):
    client.force_login(people["decide"])
    url = reverse("admin:applications_notice_changelist")
    page = client.get(url + "?status=failed")
    assert page.status_code == 200 and failed_notice.number in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "retry_failed", "_selected_action": [failed_notice.pk]}, follow=True)
    assert response.status_code == 200
    failed_notice.refresh_from_db()
    assert failed_notice.status == NoticeStatus.SENT and len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "resend_sent", "_selected_action": [failed_notice.pk]}, follow=True)
    failed_notice.refresh_from_db()
    assert failed_notice.send_count == 2 and len(mail.outbox) == 2
    assert Event.objects.filter(application=failed_notice.application, action="notice_resend",
                                actor=people["decide"]).count() == 1
    download = client.get(reverse("admin:applications_notice_pdf", args=[failed_notice.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_pdf_download_needs_staff_permission(client, failed_notice):
    from tests.factories import UserFactory

    client.force_login(failed_notice.application.submitted_by)  # an applicant, not staff
    response = client.get(reverse("admin:applications_notice_pdf", args=[failed_notice.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(UserFactory(is_staff=True))  # staff without the notice permission
    assert client.get(reverse("admin:applications_notice_pdf", args=[failed_notice.pk])).status_code == 403


def test_saving_a_legal_text_in_the_admin_creates_a_new_version(client, people):
    client.force_login(people["decide"])
    current = LegalText.objects.get(key="remedies", version=1)
    url = reverse("admin:applications_legaltext_change", args=[current.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"title": current.title, "body": current.body + "\n\nErgänzung 2027."})
    assert response.status_code == 302
    assert LegalText.objects.get(pk=current.pk).body == current.body  # the old version is untouched
    new = LegalText.objects.get(key="remedies", version=2)
    assert new.body.endswith("Ergänzung 2027.") and new.created_by == people["decide"]


def test_mail_outbox_in_the_admin_hides_one_time_links_retries_and_resends(client, people, settings,
                                                                          django_capture_on_commit_callbacks):
    from django.utils import timezone

    from applications.models import MailStatus, OutboundMail
    from applications.notices.outbox import mail_queue
    from tests.factories import UserFactory

    settings.WIR_NOTICE_MAX_RETRIES = 0
    # the invitation's first attempt failed for good (not sent: its text is still there)
    secret = mail_queue(kind="invitation", to=["neu@example.org"], subject="Einladung", enqueue=False,
                        text="Ihr Link: https://portal.example/einladung/GEHEIM-TOKEN/", sensitive=True)
    with django_capture_on_commit_callbacks(execute=True):
        plain = mail_queue(kind="organisation_verified", to=["info@example.org"], subject="Freigeschaltet",
                           text="Ihre Organisation ist freigeschaltet.")
    OutboundMail.objects.filter(pk=secret.pk).update(status=MailStatus.FAILED, last_error="SMTPConnectError: down")
    secret.refresh_from_db()
    mail.outbox.clear()
    client.force_login(people["review"])
    url = reverse("admin:applications_outboundmail_changelist")
    page = client.get(url)
    assert page.status_code == 200 and "Einladung" in page.content.decode() and "Freigeschaltet" in page.content.decode()
    detail = client.get(reverse("admin:applications_outboundmail_change", args=[secret.pk])).content.decode()
    assert "GEHEIM-TOKEN" not in detail and "einmaligen Link" in detail and "SMTPConnectError" in detail
    assert "Ihre Organisation ist freigeschaltet." in client.get(
        reverse("admin:applications_outboundmail_change", args=[plain.pk])).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "retry_failed", "_selected_action": [secret.pk, plain.pk]}, follow=True)
    secret.refresh_from_db()
    assert secret.status == MailStatus.SENT and secret.body_text == "" and len(mail.outbox) == 1
    assert "GEHEIM-TOKEN" in mail.outbox[0].body  # it went out, and only the recipient has it now
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "resend_sent", "_selected_action": [secret.pk, plain.pk]}, follow=True)
    assert "nicht erneut versendet werden" in response.content.decode()  # the one-time link is gone
    plain.refresh_from_db()
    assert plain.send_count == 2 and len(mail.outbox) == 2 and mail.outbox[1].subject == "Freigeschaltet"
    first_id = f"<wir-mail-{plain.pk}-1@rpda.hessen.de>"
    assert mail.outbox[1].extra_headers["Message-ID"] == f"<wir-mail-{plain.pk}-2@rpda.hessen.de>" != first_id
    assert plain.sent_at <= timezone.now()
    client.force_login(UserFactory(is_staff=True))  # staff without the outbox permission
    assert client.get(url).status_code == 403
