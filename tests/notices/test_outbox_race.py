"""Exactly once under a race: two real processes work through the same notices and the same outbox mails at the
same moment (each renders, hands over and sends everything it can claim); the row locks decide. The SMTP server
(aiosmtpd on loopback) must receive every mail exactly once. Needs PostgreSQL (SQLite has no row locks and the
processes must see the committed rows): skipped locally without it, a failure in CI."""

import ast
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from applications.models import MailStatus, Notice, NoticeKind, NoticeStatus, OutboundMail
from applications.notices import outbox

from .conftest import decided, entity_org, submitted
from .test_worker import Sink, free_port, smtp_start, worker_database_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(settings.BASE_DIR)
APPLICATIONS = 3
PLAIN_MAILS = 12

# What each racing process runs: wait until both are ready, then walk every notice and every mail in the same order
# (the most contention), as the tasks would.
RACER = """
import os, sys, time
from pathlib import Path
from django.core.mail import EmailMultiAlternatives
from applications.notices import outbox
sent_here = []
real_send = EmailMultiAlternatives.send
def counting_send(self, *args, **kwargs):
    result = real_send(self, *args, **kwargs)
    sent_here.append(self.subject)
    return result
EmailMultiAlternatives.send = counting_send
from applications.models import Notice, OutboundMail
def widen(model):
    # hold every claim 50 ms between reading the row and writing "in progress", so that a claim without the row
    # lock would let the other process read the same row as still free (the race made likely, not lucky)
    real_save = model.save
    def save(self, *args, **kwargs):
        if "claimed_at" in (kwargs.get("update_fields") or ()) and "attempts" in (kwargs.get("update_fields") or ()):
            time.sleep(0.05)
        return real_save(self, *args, **kwargs)
    model.save = save
widen(Notice)
widen(OutboundMail)
rendered_here = []
real_render = outbox.render_pdf
def counting_render(*args, **kwargs):
    rendered_here.append(1)
    return real_render(*args, **kwargs)
outbox.render_pdf = counting_render
folder = Path(os.environ["RACE_DIR"])
(folder / f"ready-{os.getpid()}").touch()
while not (folder / "go").exists():
    time.sleep(0.01)
for notice_id in map(int, os.environ["RACE_NOTICES"].split(",")):
    outbox.notice_run(notice_id=notice_id)
for mail_id in map(int, os.environ["RACE_MAILS"].split(",")):
    outbox.mail_send(mail_id=mail_id)
print("RESULT", (len(sent_here), len(rendered_here)), flush=True)
"""


def test_two_processes_race_for_the_same_notices_and_mails_and_each_mail_goes_out_once(
        require_postgres, seeded, people, tmp_path, monkeypatch):
    # Rows only: nothing is sent by this process (the on-commit hand-overs are switched off here).
    monkeypatch.setattr(outbox, "notice_enqueue", lambda **kwargs: None)
    monkeypatch.setattr(outbox, "mail_enqueue", lambda **kwargs: None)
    from applications.models import Organisation

    names = Organisation.objects.filter(entity__isnull=False).order_by("id").values_list("entity__name", flat=True)
    apps = []
    for n, name in enumerate(names[:APPLICATIONS]):  # one case-management application per entity and year
        app = submitted(entity_org(name), title=f"Wettlauf {n}")
        decided(app, people, action="approve")
        apps.append(app)
    notices = list(Notice.objects.filter(application__in=apps).order_by("id"))
    assert len(notices) == 2 * APPLICATIONS and all(n.status == NoticeStatus.QUEUED for n in notices)
    mails = [outbox.mail_queue(kind="race", to=[f"empfaenger{n}@example.org"], subject=f"Wettlauf-Mail {n}",
                               text="Hallo", enqueue=False) for n in range(PLAIN_MAILS)]

    sink, port = Sink(), free_port()
    smtp = smtp_start(sink, port)
    env = {**os.environ, "DATABASE_URL": worker_database_url(), "EMAIL_URL": f"smtp://127.0.0.1:{port}",
           "EMAIL_TIMEOUT": "5", "WIR_MEDIA_ROOT": str(settings.MEDIA_ROOT), "WIR_VAR_DIR": str(tmp_path / "var"),
           "CELERY_BROKER_URL": "", "RACE_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1",
           "RACE_NOTICES": ",".join(str(n.pk) for n in notices), "RACE_MAILS": ",".join(str(m.pk) for m in mails)}
    racers = [subprocess.Popen([sys.executable, "manage.py", "shell", "-c", RACER], cwd=BASE_DIR, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(2)]
    try:
        deadline = time.monotonic() + 60
        while len(list(tmp_path.glob("ready-*"))) < 2:
            assert time.monotonic() < deadline, "the racing processes did not start"
            assert all(r.poll() is None for r in racers), [r.stdout.read().decode()[-2000:] for r in racers]
            time.sleep(0.05)
        (tmp_path / "go").touch()
        outputs = [r.communicate(timeout=180)[0].decode(errors="replace") for r in racers]
        time.sleep(0.5)  # the last message through the sink's handler
    finally:
        for r in racers:
            if r.poll() is None:
                r.kill()
        smtp.stop()
    assert all(r.returncode == 0 for r in racers), outputs
    results = [ast.literal_eval(line.split("RESULT", 1)[1].strip()) for out in outputs for line in out.splitlines()
               if line.startswith("RESULT")]
    assert len(results) == 2, outputs

    # every notice mail and every plain mail arrived exactly once
    for n in notices:
        n.refresh_from_db()
        assert n.status == NoticeStatus.SENT and n.send_count == 1, (n.pk, n.status, n.last_error)
    for app in apps:
        assert len(sink.with_subject(f"Eingangsbestätigung zu Ihrem Antrag {app.file_number}")) == 1
        assert len(sink.with_subject(f"Zuwendungsbescheid zu Ihrem Antrag {app.file_number}")) == 1
    for n in range(PLAIN_MAILS):
        assert len([m for m in sink.messages if str(m["subject"]) == f"Wettlauf-Mail {n}"]) == 1
    assert len(sink.messages) == 2 * APPLICATIONS + PLAIN_MAILS
    assert set(OutboundMail.objects.values_list("status", "send_count")) == {(MailStatus.SENT, 1)}
    assert Notice.objects.filter(kind=NoticeKind.APPROVAL, application__in=apps).count() == APPLICATIONS
    # each process counts what it handed to the SMTP server itself: both took part, together every mail once
    sent, rendered = [r[0] for r in results], [r[1] for r in results]
    assert sum(sent) == len(sink.messages) and all(n > 0 for n in sent), results
    assert sum(rendered) == len(notices), results  # and every PDF was rendered once (the notice's row lock)
