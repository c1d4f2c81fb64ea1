"""The outbox: states, exactly-once under duplicated tasks, failures, retries with backoff, staff retry/resend,
preview and versioned legal texts."""

import datetime
import smtplib
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from applications.models import Event, MailStatus, Notice, NoticeKind, NoticeStatus, OutboundMail
from applications.notices import outbox as pipeline
from applications.notices import tasks
from applications.notices.documents import NoticeError
from applications.notices.legal import legal_text_save
from applications.services import ApplicationError

from .conftest import decided, normalised, pdf_bytes, pdf_text, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(giessen, people, django_capture_on_commit_callbacks):
    """An approved application whose approval notice is still queued (the on-commit task was not run)."""
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(giessen)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        decided(app, people)
    assert callbacks  # the render task waits for the commit
    mail.outbox.clear()
    return Notice.objects.get(application=app, kind=NoticeKind.APPROVAL)


def test_states_queued_rendered_sent_and_the_mail(approved):
    assert approved.status == NoticeStatus.QUEUED and not approved.pdf
    assert pipeline.notice_render(notice_id=approved.pk) == NoticeStatus.RENDERED
    approved.refresh_from_db()
    assert approved.status == NoticeStatus.RENDERED and approved.pdf and len(approved.sha256) == 64
    assert approved.rendered_at and approved.claimed_at is None and approved.attempts == 1
    assert not mail.outbox
    assert pipeline.notice_send(notice_id=approved.pk) == NoticeStatus.SENT
    approved.refresh_from_db()
    assert approved.status == NoticeStatus.SENT and approved.sent_at and approved.send_count == 1
    [message] = mail.outbox
    file_number = approved.application.file_number
    assert message.subject == f"Zuwendungsbescheid zu Ihrem Antrag {file_number} – Landesprogramm WIR"
    assert set(message.to) == {approved.application.organisation.email, approved.application.submitted_by.email}
    assert file_number in message.body and message.alternatives[0].mimetype == "text/html"
    [(name, content, mimetype)] = message.attachments
    assert name == f"Zuwendungsbescheid_{file_number}.pdf" and mimetype == "application/pdf"
    assert content == pdf_bytes(approved) and content.startswith(b"%PDF")
    assert Event.objects.filter(application=approved.application, action="notice_sent",
                                reason__contains=approved.number).count() == 1


def test_duplicate_tasks_do_nothing_twice(approved):
    for _ in range(3):  # the on-commit task, a redelivery and a duplicate
        tasks.notice_render.delay(approved.pk)
        tasks.notice_send.delay(approved.pk)
    approved.refresh_from_db()
    assert approved.status == NoticeStatus.SENT and approved.send_count == 1
    assert len(mail.outbox) == 1
    first_pdf, first_hash = approved.pdf.name, approved.sha256
    tasks.notice_render.delay(approved.pk)
    approved.refresh_from_db()
    assert (approved.pdf.name, approved.sha256) == (first_pdf, first_hash)
    assert len(mail.outbox) == 1


def test_a_live_claim_is_respected_and_an_abandoned_one_taken_over(approved):
    from django.utils import timezone

    Notice.objects.filter(pk=approved.pk).update(status=NoticeStatus.RENDERING, claimed_at=timezone.now())
    assert pipeline.notice_run(notice_id=approved.pk) == NoticeStatus.RENDERING  # another worker is on it
    assert not mail.outbox
    Notice.objects.filter(pk=approved.pk).update(claimed_at=timezone.now() - pipeline.lease() * 2)
    assert pipeline.notice_run(notice_id=approved.pk) == NoticeStatus.SENT      # that worker died
    assert len(mail.outbox) == 1


def test_smtp_failure_keeps_the_mail_queued_then_it_is_sent_once(approved, monkeypatch):
    """The mail server refuses: the notice is rendered and its mail waits in the outbox with the error and a
    backoff — nothing is lost, nothing failed; the sweep sends it once the server is back."""
    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    tasks.notice_render.delay(approved.pk)
    approved.refresh_from_db()
    [queued] = OutboundMail.objects.filter(notice=approved)
    assert approved.status == NoticeStatus.SENDING and "SMTPServerDisconnected" in approved.last_error
    assert queued.status == MailStatus.QUEUED and queued.attempts == 1 and queued.next_attempt_at > timezone.now()
    assert pipeline.mail_outbox_flush() == {}  # not due yet (backoff)
    rendered_pdf = approved.pdf.name
    monkeypatch.undo()
    assert pipeline.mail_outbox_flush(now=timezone.now() + datetime.timedelta(hours=1)) == {MailStatus.SENT: 1}
    approved.refresh_from_db()
    assert approved.status == NoticeStatus.SENT and approved.last_error == "" and approved.send_count == 1
    assert approved.pdf.name == rendered_pdf and len(mail.outbox) == 1
    assert pipeline.mail_outbox_flush(now=timezone.now() + datetime.timedelta(days=1)) == {}  # nothing twice


def test_last_attempt_fails_visibly_and_staff_retry_sends_once(approved, people, monkeypatch, settings,
                                                                 django_capture_on_commit_callbacks):
    settings.WIR_NOTICE_MAX_RETRIES = 0  # the first failure is the last
    monkeypatch.setattr(EmailMultiAlternatives, "send",
                        lambda self, *a, **k: (_ for _ in ()).throw(smtplib.SMTPServerDisconnected("closed")))
    tasks.notice_render.delay(approved.pk)
    approved.refresh_from_db()
    assert approved.status == NoticeStatus.FAILED and "SMTPServerDisconnected" in approved.last_error
    assert OutboundMail.objects.get(notice=approved).status == MailStatus.FAILED
    assert approved.attempts == 2  # render + hand-over
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.notice_retry(notice=approved, user=people["decide"])
    approved.refresh_from_db()
    assert approved.status == NoticeStatus.SENT and approved.last_error == "" and approved.send_count == 1
    assert len(mail.outbox) == 1 and OutboundMail.objects.filter(notice=approved).count() == 1  # same delivery
    assert Event.objects.filter(application=approved.application, action="notice_retry", actor=people["decide"]).exists()
    with pytest.raises(ApplicationError):
        pipeline.notice_retry(notice=approved, user=people["decide"])


def test_transient_errors_retry_with_exponential_backoff_then_fail(approved, monkeypatch, settings):
    settings.WIR_NOTICE_RETRY_BASE_SECONDS = 30
    assert [tasks.retry_countdown(n) for n in range(4)] == [30, 60, 120, 240]
    pipeline.notice_render(notice_id=approved.pk)
    monkeypatch.setattr(EmailMultiAlternatives, "send",
                        lambda self, *a, **k: (_ for _ in ()).throw(ConnectionRefusedError("refused")))
    pipeline.notice_send(notice_id=approved.pk)  # hands over; the eager mail task records the first failure
    mail_row = OutboundMail.objects.get(notice=approved)
    assert mail_row.status == MailStatus.QUEUED and mail_row.attempts == 1
    calls = []

    class Retry(Exception):
        pass

    def fake_task(retries):
        def retry(exc, countdown):
            calls.append(countdown)
            return Retry()
        return SimpleNamespace(request=SimpleNamespace(is_eager=False, retries=retries), max_retries=6, retry=retry)

    with pytest.raises(Retry):
        tasks.mail_send.run.__func__(fake_task(2), mail_row.pk)  # the task body with a stand-in for `self`
    assert calls == [120]
    mail_row.refresh_from_db()
    assert mail_row.status == MailStatus.QUEUED and "refused" in mail_row.last_error and mail_row.attempts == 2
    assert mail_row.next_attempt_at > timezone.now() + datetime.timedelta(seconds=50)  # 30 s · 2 after 2 attempts
    OutboundMail.objects.filter(pk=mail_row.pk).update(attempts=settings.WIR_NOTICE_MAX_RETRIES)
    assert tasks.mail_send.run.__func__(fake_task(6), mail_row.pk) == MailStatus.FAILED  # the last attempt failed
    approved.refresh_from_db()
    assert approved.status == NoticeStatus.FAILED and "refused" in approved.last_error


def test_a_delivery_repeated_after_a_crash_keeps_its_message_id(approved, people, monkeypatch,
                                                               django_capture_on_commit_callbacks):
    """The worker dies after the SMTP server accepted the mail, before it was marked sent: once the claim has
    expired the mail goes out again — with the same Message-ID, so receiving systems can drop the duplicate. A
    deliberate resend by staff is a new delivery with a new Message-ID."""
    from applications import audit

    pipeline.notice_render(notice_id=approved.pk)
    with monkeypatch.context() as patched:
        patched.setattr(audit, "event_record", lambda **kw: (_ for _ in ()).throw(SystemExit("worker killed")))
        with pytest.raises(SystemExit):
            pipeline.mail_send(mail_id=pipeline.notice_mail_queue(approved).pk)
    assert len(mail.outbox) == 1  # accepted, but not recorded
    mail_row = OutboundMail.objects.get(notice=approved)
    assert mail_row.status == MailStatus.SENDING
    assert pipeline.mail_send(mail_id=mail_row.pk) == MailStatus.SENDING  # a live claim is respected
    OutboundMail.objects.filter(pk=mail_row.pk).update(claimed_at=timezone.now() - pipeline.lease() * 2)
    assert pipeline.mail_outbox_flush() == {MailStatus.SENT: 1}  # the abandoned claim is taken over
    assert Notice.objects.get(pk=approved.pk).status == NoticeStatus.SENT
    first, again = (m.extra_headers["Message-ID"] for m in mail.outbox)
    assert first == again == f"<wir-bescheid-{approved.pk}-1@rpda.hessen.de>"
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.notice_resend(notice=Notice.objects.get(pk=approved.pk), user=people["decide"])
    assert len(mail.outbox) == 3 and mail.outbox[2].extra_headers["Message-ID"] == (
        f"<wir-bescheid-{approved.pk}-2@rpda.hessen.de>")
    assert "Message-ID: <wir-bescheid-" in mail.outbox[0].message().as_string()


def test_staff_resend_sends_again_and_is_logged(approved, people, django_capture_on_commit_callbacks):
    pipeline.notice_run(notice_id=approved.pk)
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.notice_resend(notice=approved, user=people["decide"])
    approved.refresh_from_db()
    assert approved.status == NoticeStatus.SENT and approved.send_count == 2 and len(mail.outbox) == 2
    event = Event.objects.get(application=approved.application, action="notice_resend")
    assert event.actor == people["decide"] and not event.visible_to_applicant
    queued = Notice.objects.create(application=approved.application, kind=NoticeKind.RECEIPT, context={})
    with pytest.raises(ApplicationError):
        pipeline.notice_resend(notice=queued, user=people["decide"])


def _stored_state(settings) -> tuple:
    """Every row of every model with all its values, and every stored file: what "saves nothing" means (a new row,
    an edited counter or a written PDF all show)."""
    import pathlib

    from django.apps import apps

    rows = {model._meta.label: list(model._base_manager.order_by("pk").values_list())
            for model in apps.get_models()}
    files = sorted(str(p) for p in pathlib.Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())
    return rows, files


def test_preview_is_a_draft_and_saves_nothing(giessen, people, django_capture_on_commit_callbacks, settings):
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(giessen)
    mail.outbox.clear()
    before = _stored_state(settings)
    data = pipeline.notice_preview_pdf(application=app, kind=NoticeKind.APPROVAL, amount=Decimal("40000.00"),
                                       reasons="Nur 0,8 Stellen.")
    text = normalised(pdf_text(data))
    assert "ENTWURF" in text and "höchstens 40.000,00 €" in text and "Nur 0,8 Stellen." in text
    assert _stored_state(settings) == before  # no row in any table, no file, no mail
    assert not mail.outbox
    app.organisation.entity = app.organisation.district = None
    with pytest.raises(NoticeError, match="Verwaltungsgericht"):
        pipeline.notice_preview_pdf(application=app, kind=NoticeKind.REJECTION, reasons="x")


def test_legal_text_edits_are_new_versions_and_old_notices_rerender_unchanged(approved, people, verein,
                                                                              django_capture_on_commit_callbacks):
    pipeline.notice_run(notice_id=approved.pk)
    new = legal_text_save(key="remedies", title="Rechtsbehelfsbelehrung",
                          body="Klage beim {court_name} ({court_address}) – NEUE FASSUNG 2027.", user=people["decide"])
    assert new.version == 2
    old_html = pipeline.notice_html(context=approved.context, legal_versions=approved.legal_versions,
                                    number=approved.number).html
    assert "NEUE FASSUNG" not in old_html and "Widerspruchsverfahren" in old_html
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(verein, code="integrationsprojekte", grant="5000.00", costs="6000.00")
    with django_capture_on_commit_callbacks(execute=True):
        decided(app, people, action="reject", reasons="Kein Bedarf.")
    notice = Notice.objects.get(application=app, kind=NoticeKind.REJECTION)
    assert notice.legal_versions["remedies"] == 2
    assert "NEUE FASSUNG 2027" in normalised(pdf_text(pdf_bytes(notice)))


def test_a_task_for_a_missing_notice_is_dropped_not_retried():
    assert tasks.notice_render.delay(987654).get() == "missing"
    assert tasks.notice_send.delay(987654).get() == "missing"


def test_mail_text_part_is_plain_and_html_part_escaped(approved):
    app = approved.application
    approved.context = {**approved.context, "title": "Haus & Hof <b>Café</b>"}
    approved.save(update_fields=["context"])
    pipeline.notice_run(notice_id=approved.pk)
    [message] = mail.outbox
    assert "„Haus & Hof <b>Café</b>“" in message.body  # text/plain: as typed
    html = message.alternatives[0].content if hasattr(message.alternatives[0], "content") else message.alternatives[0][0]
    assert "Haus &amp; Hof &lt;b&gt;Café&lt;/b&gt;" in html and "<b>Café" not in html
    assert app.file_number in message.subject
