"""Reminders through the mail outbox with the day passed in (no time-freezing library is installed): four weeks
before, on the day, two and six weeks after; running the beat job twice sends nothing twice; a day the job did
not run is caught up with the latest reminder only; a submitted proof gets none."""

import datetime

import pytest

from applications.models import Event, OutboundMail, ProofReminder, ProofStatus
from applications.proof import services
from applications.proof.tasks import proof_reminders

pytestmark = pytest.mark.django_db
d = datetime.date


@pytest.fixture
def due_proof(proof):
    assert proof.due_on == d(2028, 6, 30)  # period ends 31.12.2027: six months later, end of June 2028
    return proof


def kinds(proof):
    return list(ProofReminder.objects.filter(proof=proof).order_by("sent_at", "id").values_list("kind", flat=True))


def test_schedule(due_proof):
    assert services.proof_reminders_send(today=d(2028, 6, 1)) == 0   # 29 days before: nothing yet
    assert services.proof_reminders_send(today=d(2028, 6, 2)) == 1   # 28 days before (30.06. − 28 days)
    assert services.proof_reminders_send(today=d(2028, 6, 2)) == 0   # the same day again: nothing twice
    assert services.proof_reminders_send(today=d(2028, 6, 29)) == 0
    assert services.proof_reminders_send(today=d(2028, 6, 30)) == 1  # on the day
    assert services.proof_reminders_send(today=d(2028, 7, 13)) == 0
    assert services.proof_reminders_send(today=d(2028, 7, 14)) == 1  # 14 days after
    assert services.proof_reminders_send(today=d(2028, 8, 11)) == 1  # 42 days after
    assert services.proof_reminders_send(today=d(2028, 12, 1)) == 0  # nothing after the last
    assert kinds(due_proof) == ["before", "due", "overdue_1", "overdue_2"]
    mails = OutboundMail.objects.filter(kind="proof_reminder").order_by("id")
    assert mails.count() == 4
    assert mails[0].subject.startswith("Erinnerung: Verwendungsnachweis bis 30.06.2028 vorlegen")
    assert "abgelaufen" in mails[3].body_text and "§ 49 Abs. 3" in mails[3].body_text
    assert "/portal/antraege/" in mails[0].body_text
    assert Event.objects.filter(application=due_proof.application, action="proof_reminder").count() == 4


def test_missed_days_send_the_latest_only(due_proof):
    assert services.proof_reminders_send(today=d(2028, 7, 20)) == 1
    assert kinds(due_proof) == ["overdue_1"]
    assert services.proof_reminders_send(today=d(2028, 7, 21)) == 0


def test_submitted_proof_gets_none(due_proof):
    due_proof.status = ProofStatus.SUBMITTED
    due_proof.save()
    assert services.proof_reminders_send(today=d(2028, 7, 14)) == 0


def test_configurable(due_proof, settings):
    settings.WIR_PROOF_REMINDER_DAYS = {"before": -7}
    assert services.proof_reminders_send(today=d(2028, 6, 2)) == 0
    assert services.proof_reminders_send(today=d(2028, 6, 23)) == 1


def test_beat_task_creates_proofs_and_is_idempotent(funded):
    from applications.models import Proof

    assert not Proof.objects.exists()
    first = proof_reminders()
    assert first["proofs"] == 1 and Proof.objects.count() == 1
    again = proof_reminders()
    assert again == {"proofs": 0, "reminders": 0}


def test_overdue_proof_in_the_staff_queue(due_proof, staffers, client_as):
    from django.utils import timezone

    type(due_proof).objects.filter(pk=due_proof.pk).update(due_on=timezone.localdate() - datetime.timedelta(days=1))
    client = client_as(staffers["sachbearbeitung"])
    response = client.get("/admin/applications/application/?nachweis=ueberfaellig")
    assert response.status_code == 200
    assert due_proof.application.file_number in response.content.decode()
    response = client.get("/admin/applications/proof/?stand=ueberfaellig")
    assert response.status_code == 200 and "Überfällig seit" in response.content.decode()


def test_beat_creates_proofs_as_the_notice_named_them(org):
    """The batch path reads the dates from the notice's context in the database (as text) like proofs_ensure."""
    from applications.models import Notice, NoticeKind, Proof
    from applications.notices.documents import notice_context_build
    from tests.factories import multi_year_application

    app = multi_year_application(organisation=org, code="vielfaltszentren", year=2026,
                                 grants={2026: "1000.00", 2027: "1000.00"}, end=d(2027, 8, 31), status="approved")
    context = notice_context_build(application=app, kind=NoticeKind.APPROVAL, amount=app.requested_amount)
    context["proof_deadline"] = "2028-03-31"  # what the notice said (here: not what today's terms give)
    Notice.objects.create(application=app, kind=NoticeKind.APPROVAL, context=context)
    assert services.proofs_ensure_all() == 1
    assert list(Proof.objects.order_by("due_on").values_list("kind", "year_from", "year_to", "due_on")) == [
        ("interim", 2026, 2026, d(2027, 4, 30)), ("final", 2026, 2027, d(2028, 3, 31))]
