"""Integration: a REAL Celery worker (subprocess, Redis broker) and a REAL SMTP server (aiosmtpd on loopback).

Run with: CELERY_BROKER_URL=redis://127.0.0.1:6379/3 DATABASE_URL=postgres://... pytest tests/notices/test_worker.py
The worker gets the same environment, pointed at the test database, a private media folder and the SMTP port.
"""

import email
import email.policy
import io
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from pypdf import PdfReader

from applications.models import Notice, NoticeKind, NoticeStatus, OutboundMail
from applications.notices import tasks
from wir_portal.celery import app as celery_app

from .conftest import amended, decided, normalised, submitted

BASE_DIR = Path(settings.BASE_DIR)


class Sink:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def with_subject(self, text: str) -> list:
        return [m for m in self.messages if text in str(m["subject"])]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def smtp_start(sink: Sink, port: int) -> Controller:
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def worker_database_url() -> str:
    """DATABASE_URL with the test database's name, so the worker sees what this test writes."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + settings.DATABASES["default"]["NAME"]))


def worker_start(*, smtp_port: int, media: Path, var: Path) -> tuple[subprocess.Popen, str]:
    name = f"h5-notices-{uuid.uuid4().hex[:8]}@%h"
    env = {**os.environ, "DATABASE_URL": worker_database_url(), "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
           "EMAIL_TIMEOUT": "3", "WIR_MEDIA_ROOT": str(media), "WIR_VAR_DIR": str(var),
           "WIR_NOTICE_RETRY_BASE_SECONDS": "1", "WIR_NOTICE_MAX_RETRIES": "8", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [str(BASE_DIR / ".venv/bin/celery"), "-A", "wir_portal", "worker", "-Q", "default,pdf", "--pool=solo",
         "-n", name, "--without-gossip", "--without-mingle", "--without-heartbeat", "--purge", "-l", "info"],
        cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    hostname = name.replace("%h", socket.gethostname())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("worker exited: " + process.stdout.read().decode(errors="replace")[-3000:])
        if celery_app.control.ping(destination=[hostname], timeout=0.5):
            return process, hostname
    process.kill()
    raise RuntimeError("worker did not become ready within 30 s")


def worker_stop(process: subprocess.Popen) -> str:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
    return process.stdout.read().decode(errors="replace")


def wait_for(predicate, *, timeout: float = 30, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def status_of(notice_id: int) -> Notice:
    return Notice.objects.get(pk=notice_id)


def assert_valid_pdf(message, file_number: str) -> None:
    [attachment] = [part for part in message.iter_attachments() if part.get_content_type() == "application/pdf"]
    data = attachment.get_content()
    reader = PdfReader(io.BytesIO(data))
    text = normalised("\n".join(page.extract_text() for page in reader.pages))
    assert file_number in text and "Seite 1 von" in text
    assert message.get_body(preferencelist=("html",)) is not None and message.get_body(preferencelist=("plain",))


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_sends_exactly_once_survives_smtp_outage_and_duplicates(require_postgres, require_broker, seeded,
                                                                            people, tmp_path):
    # The worker process needs a shared database server: skipped locally on SQLite, a failure in CI.
    assert not celery_app.conf.task_always_eager
    from .conftest import entity_org

    giessen = entity_org("Landkreis Gießen")
    sink, port = Sink(), free_port()
    smtp = smtp_start(sink, port)
    worker, _ = worker_start(smtp_port=port, media=Path(settings.MEDIA_ROOT), var=tmp_path / "var")
    try:
        # 1. submit → receipt, approve → exactly one approval mail with a valid PDF
        app = submitted(giessen, title="Willkommenskultur (Integration)")
        decided(app, people, action="approve")
        approval = Notice.objects.get(application=app, kind=NoticeKind.APPROVAL)
        wait_for(lambda: status_of(approval.pk).status == NoticeStatus.SENT, what="approval sent")
        wait_for(lambda: sink.with_subject("Eingangsbestätigung"), what="receipt mail")
        time.sleep(1.0)
        [mail] = sink.with_subject(f"Zuwendungsbescheid zu Ihrem Antrag {app.file_number}")
        assert_valid_pdf(mail, app.file_number)
        assert len(sink.with_subject("Eingangsbestätigung")) == 1
        assert set(a.strip() for a in str(mail["to"]).split(",")) == {giessen.email, app.submitted_by.email}

        # 2. SMTP server down mid-run → the notice retries (backoff 1 s, 2 s …) and is sent once it is back
        smtp.stop()
        amended(app, people, year_amounts={app.year: Decimal("45000.00")},
                decision_reasons="Stelle erst ab Februar besetzt.")
        amendment = Notice.objects.get(application=app, kind=NoticeKind.AMENDMENT)
        wait_for(lambda: OutboundMail.objects.filter(notice=amendment, attempts__gte=3).exists(),
                 what="send attempts of the outbox mail against the stopped SMTP server")
        assert status_of(amendment.pk).status == NoticeStatus.SENDING and status_of(amendment.pk).last_error
        assert not sink.with_subject("Änderungsbescheid")
        smtp = smtp_start(sink, port)
        wait_for(lambda: status_of(amendment.pk).status == NoticeStatus.SENT, what="amendment sent after outage")
        time.sleep(1.0)
        assert len(sink.with_subject(f"Änderungsbescheid zu Ihrem Antrag {app.file_number}")) == 1
        assert status_of(amendment.pk).send_count == 1

        # 3. the same tasks again (redelivery, duplicate) → still exactly one mail each
        for _ in range(2):
            tasks.notice_render.delay(approval.pk)
            tasks.notice_send.delay(approval.pk)
        time.sleep(3.0)  # four tasks of a few milliseconds each on an otherwise idle worker
        assert len(sink.with_subject(f"Zuwendungsbescheid zu Ihrem Antrag {app.file_number}")) == 1
        final = status_of(approval.pk)
        assert final.status == NoticeStatus.SENT and final.send_count == 1 and final.attempts == 2
    except BaseException:
        print(worker_stop(worker)[-4000:], file=sys.stderr)  # the worker's log helps when this fails
        raise
    finally:
        worker_stop(worker)
        smtp.stop()
