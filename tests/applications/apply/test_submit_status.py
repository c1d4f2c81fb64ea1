"""Submission (rights, completeness, double submit), status page (timeline, messages, withdraw, notices, PDF),
Folgeantrag, isolation between organisations, and fixed query counts."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications import services
from applications.models import Application, CostItem, Event, Message, Notice, NoticeKind, NoticeStatus
from applications.workflow import Status
from tests.factories import DECLARATION_POST, application, attach_required, staff

from .conftest import YEAR


@pytest.fixture
def complete(entity, owner):
    app = application(organisation=entity, user=owner)
    attach_required(app, owner)
    return app


def submit_url(app):
    return reverse("portal:application_submit", args=[app.pk])


def test_submit_page_lists_nothing_missing_for_complete(client, owner, complete):
    client.force_login(owner)
    page = client.get(submit_url(complete))
    assert page.status_code == 200 and page.context["problems"] == []
    assert "Antrag verbindlich einreichen" in page.content.decode()


def test_signatory_submits(client, owner, complete, django_capture_on_commit_callbacks):
    client.force_login(owner)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(submit_url(complete), DECLARATION_POST)
    assert response.status_code == 302 and response["Location"] == reverse("portal:application_detail",
                                                                          args=[complete.pk])
    complete.refresh_from_db()
    assert complete.status == Status.SUBMITTED and complete.file_number == f"WIR-{YEAR}-IP-0001"
    assert complete.submitted_at is not None and complete.submitted_by == owner
    assert Notice.objects.filter(application=complete, kind=NoticeKind.RECEIPT).count() == 1
    assert len(callbacks) >= 1  # the receipt notice is queued (rendered and e-mailed) after commit
    assert not complete.is_editable


def test_double_submit_creates_one_submission(client, owner, complete):
    client.force_login(owner)
    first = client.post(submit_url(complete), DECLARATION_POST)
    second = client.post(submit_url(complete), DECLARATION_POST)  # double click / second tab
    assert first.status_code == second.status_code == 302
    complete.refresh_from_db()
    assert complete.file_number == f"WIR-{YEAR}-IP-0001"
    assert Event.objects.filter(application=complete, action="submit").count() == 1
    assert Notice.objects.filter(application=complete, kind=NoticeKind.RECEIPT).count() == 1


def test_second_signatory_cannot_submit_again(client, owner, complete, entity):
    from applications.models import Role
    from tests.factories import UserFactory, member

    other = UserFactory()
    member(other, entity, Role.SIGNATORY)
    client.force_login(owner)
    client.post(submit_url(complete), DECLARATION_POST)
    client.force_login(other)
    response = client.post(submit_url(complete), DECLARATION_POST, follow=True)
    assert "bereits eingereicht" in response.content.decode()
    assert Event.objects.filter(application=complete, action="submit").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_submit_on_postgres(require_postgres, seeded):
    """Two requests at the same moment (two tabs): the row lock lets one through; the other changes nothing."""
    import threading

    from django.db import connections
    from django.test import Client

    from applications.models import Organisation, Role
    from tests.factories import UserFactory, member

    entity = Organisation.objects.get(entity__name="Landkreis Gießen")
    user = UserFactory()
    member(user, entity, Role.SIGNATORY)
    app = application(organisation=entity, user=user)
    attach_required(app, user)
    barrier, results = threading.Barrier(2), []

    def post():
        client = Client()
        client.force_login(user)
        barrier.wait()
        results.append(client.post(submit_url(app), DECLARATION_POST).status_code)
        connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [302, 302]
    assert Event.objects.filter(application=app, action="submit").count() == 1
    assert Notice.objects.filter(application=app, kind=NoticeKind.RECEIPT).count() == 1


def test_member_may_edit_but_not_submit(client, colleague, complete):
    client.force_login(colleague)
    assert client.get(reverse("portal:application_edit", args=[complete.pk])).status_code == 200
    page = client.get(submit_url(complete))
    assert page.status_code == 200 and "nur zeichnungsberechtigte" in page.content.decode()
    response = client.post(submit_url(complete), DECLARATION_POST)
    assert response.status_code == 403
    complete.refresh_from_db()
    assert complete.status == Status.DRAFT


def test_incomplete_is_not_submitted(client, owner, entity):
    app = application(organisation=entity)  # no attachments
    client.force_login(owner)
    response = client.post(submit_url(app), DECLARATION_POST, follow=True)
    assert "Konzeption" in response.content.decode()
    app.refresh_from_db()
    assert app.status == Status.DRAFT and app.file_number is None


def test_status_page_timeline_messages_changes_requested_resubmit(client, owner, complete):
    client.force_login(owner)
    client.post(submit_url(complete), DECLARATION_POST)
    sb = staff("Sachbearbeitung")
    complete.refresh_from_db()
    services.application_start_review(application=complete, user=sb)
    services.application_request_changes(application=complete, user=sb, message="Bitte Stellenplan nachreichen.")
    services.event_record(application=complete, user=sb, action="budget_note", reason="intern",
                          visible_to_applicant=False)
    page = client.get(reverse("portal:application_detail", args=[complete.pk]))
    html = page.content.decode()
    labels = [e.label for e in page.context["events"]]
    assert labels == ["Antrag eingereicht", "Prüfung begonnen", "Nachforderung des Regierungspräsidiums"]
    assert "Bitte Stellenplan nachreichen." in html and "intern" not in html
    assert "Antrag überarbeiten" in html
    # reply
    response = client.post(reverse("portal:message_reply", args=[complete.pk]), {"body": "Kommt morgen."})
    assert response.status_code == 302
    assert Message.objects.filter(application=complete, from_staff=False, body="Kommt morgen.").exists()
    assert client.post(reverse("portal:message_reply", args=[complete.pk]), {"body": ""}).status_code == 400
    # editable again, then resubmitted
    edit = client.get(reverse("portal:application_edit", args=[complete.pk]))
    assert edit.status_code == 200
    response = client.post(submit_url(complete), DECLARATION_POST)
    complete.refresh_from_db()
    assert complete.status == Status.RESUBMITTED and complete.file_number == f"WIR-{YEAR}-IP-0001"


def test_withdraw_needs_confirmation_and_signatory(client, owner, colleague, complete):
    url = reverse("portal:application_withdraw", args=[complete.pk])
    client.force_login(colleague)
    assert client.post(url, {"confirm": "on"}).status_code == 403
    client.force_login(owner)
    client.post(submit_url(complete), DECLARATION_POST)
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400 and "bestätigen" in response.content.decode()
    response = client.post(url, {"confirm": "on", "reason": "Stelle nicht besetzbar"})
    complete.refresh_from_db()
    assert complete.status == Status.WITHDRAWN
    assert Event.objects.filter(application=complete, action="withdraw").exists()


def test_no_withdraw_after_decision(client, owner, entity):
    app = application(organisation=entity, status=Status.APPROVED)
    client.force_login(owner)
    client.post(reverse("portal:application_withdraw", args=[app.pk]), {"confirm": "on"})
    app.refresh_from_db()
    assert app.status == Status.APPROVED


def test_notice_download_scoped(client, owner, outsider, entity):
    app = application(organisation=entity, status=Status.APPROVED, file_number="WIR-2027-FM-0042")
    notice = Notice.objects.create(application=app, kind=NoticeKind.APPROVAL, status=NoticeStatus.SENT)
    notice.pdf.save("x.pdf", ContentFile(b"%PDF-1.7 Bescheid"), save=True)
    client.force_login(owner)
    response = client.get(reverse("portal:notice_download", args=[notice.pk]))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Zuwendungsbescheid" in client.get(reverse("portal:application_detail", args=[app.pk])).content.decode()
    client.force_login(outsider)
    assert client.get(reverse("portal:notice_download", args=[notice.pk])).status_code == 404
    queued = Notice.objects.create(application=app, kind=NoticeKind.AMENDMENT, status=NoticeStatus.QUEUED)
    client.force_login(owner)
    assert client.get(reverse("portal:notice_download", args=[queued.pk])).status_code == 404


def test_application_pdf_as_submitted(client, owner, complete):
    client.force_login(owner)
    assert client.get(reverse("portal:application_pdf", args=[complete.pk])).status_code == 404  # draft: none yet
    client.post(submit_url(complete), DECLARATION_POST)
    response = client.get(reverse("portal:application_pdf", args=[complete.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and "attachment" in response["Content-Disposition"]
    complete.refresh_from_db()
    text = _pdf_text(response.content)
    assert complete.file_number in text and complete.title in text and complete.organisation.name in text
    assert "Zweck des Testvorhabens" in text
    # the factory's plan: 68.000 € personnel costs, 18.000 € own funds, 50.000 € applied for
    assert "68.000,00 €" in text and "18.000,00 €" in text and "50.000,00 €" in text


def _pdf_text(data: bytes) -> str:
    import io

    from pypdf import PdfReader

    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def test_follow_up_copies_last_year(client, owner, entity, centre_round):
    # a line with one application per entity and year (the Vielfaltszentren in a yearly round, see centre_round)
    old = application(organisation=entity, code="vielfaltszentren", year=2026, status=Status.APPROVED,
                      file_number="WIR-2026-VZ-0009", title="Vielfaltszentrum 2026", grant="50000.00")
    attach_required(old, owner)
    client.force_login(owner)
    response = client.post(reverse("portal:application_follow_up", args=[old.pk]))
    new = Application.objects.exclude(pk=old.pk).get()
    assert response["Location"] == reverse("portal:application_edit", args=[new.pk])
    assert (new.previous, new.status, new.file_number, new.year) == (old, Status.DRAFT, None, 2027)
    assert new.title == "Vielfaltszentrum 2027" and new.details == old.details
    assert (new.period_start, new.period_end) == (datetime.date(2027, 1, 1), datetime.date(2027, 12, 31))
    assert [(p.year, p.requested_grant, p.approved_grant) for p in new.plan_years.all()] == [
        (2027, Decimal("50000.00"), None)]
    assert [(c.year, c.amount) for c in new.cost_items.all()] == [(2027, Decimal("68000.00"))]
    assert not new.attachments.exists() and new.submitted_at is None
    # only once: the line allows one per entity and year, so the button is gone
    client.post(reverse("portal:application_follow_up", args=[old.pk]))
    assert Application.objects.count() == 2
    status_page = client.get(reverse("portal:application_detail", args=[old.pk]))
    assert status_page.context["follow_rule"] is None
    dashboard = client.get(reverse("portal:dashboard"))
    assert reverse("portal:application_follow_up", args=[old.pk]) not in dashboard.content.decode()


def test_follow_up_offered_on_dashboard_and_status_page(client, owner, entity):
    old = application(organisation=entity, year=2026, status=Status.APPROVED, file_number="WIR-2026-FM-0009")
    client.force_login(owner)
    url = reverse("portal:application_follow_up", args=[old.pk])
    assert url in client.get(reverse("portal:dashboard")).content.decode()
    assert client.get(reverse("portal:application_detail", args=[old.pk])).context["follow_rule"].year == 2027


@pytest.mark.parametrize("name, method", [
    ("application_detail", "get"), ("application_edit", "get"), ("application_edit", "post"),
    ("application_attachments", "get"), ("application_submit", "get"), ("application_submit", "post"),
    ("application_withdraw", "get"), ("application_follow_up", "post"), ("message_reply", "post"),
    ("application_pdf", "get"),
])
def test_other_organisations_application_is_404(client, outsider, entity, name, method):
    app = application(organisation=entity, status=Status.SUBMITTED, submitted_at=datetime.datetime.now(
        tz=datetime.UTC), file_number="WIR-2027-FM-0001")
    client.force_login(outsider)
    response = getattr(client, method)(reverse(f"portal:{name}", args=[app.pk]), {"body": "x"} if method == "post"
                                       else None)
    assert response.status_code == 404


def test_anonymous_redirected_to_login(client, entity):
    app = application(organisation=entity)
    for url in [reverse("portal:dashboard"), reverse("portal:application_detail", args=[app.pk]),
                reverse("portal:application_new", args=["integrationsprojekte"])]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- query counts ---------------------------------------------------------------------------------------------

def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_dashboard_query_count_fixed(client, owner, entity):
    client.force_login(owner)
    application(organisation=entity, code="lotsen")
    url = reverse("portal:dashboard")
    client.get(url)
    few = _count(client, url)
    for year in (2026, 2025, 2024, 2023):
        for code in ("vielfaltszentren", "migrantenorganisationen", "lotsen"):
            app = application(organisation=entity, code=code, year=year, status=Status.APPROVED)
            Notice.objects.create(application=app, kind=NoticeKind.APPROVAL, status=NoticeStatus.SENT, pdf="n.pdf")
    many = _count(client, url)
    print(f"dashboard queries: {few} with 1 application, {many} with 13 applications and 12 notices")
    assert few == many, (few, many)
    assert many <= 8


def test_status_and_edit_page_query_count_fixed(client, owner, entity):
    client.force_login(owner)
    app = application(organisation=entity)
    urls = [reverse("portal:application_detail", args=[app.pk]), reverse("portal:application_edit", args=[app.pk]),
            reverse("portal:application_submit", args=[app.pk])]
    for url in urls:
        client.get(url)
    few = [_count(client, url) for url in urls]
    for i in range(25):
        CostItem.objects.create(application=app, year=YEAR, category="material", description=f"Posten {i}",
                                amount=Decimal("10.00"))
        services.event_record(application=app, user=owner, action="message", reason=f"Nachricht {i}")
        Message.objects.create(application=app, from_staff=True, author_name="RP", body=f"Frage {i}")
    many = [_count(client, url) for url in urls]
    print(f"status/edit/submit queries: {few} with 1 cost item, {many} with 26 cost items, 25 events, 25 messages")
    assert few == many, (few, many)
    assert max(many) <= 14


def test_dashboard_attention_box(client, owner, entity):
    changes = application(organisation=entity, code="lotsen", status=Status.CHANGES_REQUESTED,
                          title="Lotsen mit Nachforderung")
    decided = application(organisation=entity, year=2026, status=Status.APPROVED, title="Bewilligt 2026")
    notice = Notice.objects.create(application=decided, kind=NoticeKind.APPROVAL, status=NoticeStatus.SENT,
                                   pdf="n.pdf")
    Notice.objects.create(application=decided, kind=NoticeKind.RECEIPT, status=NoticeStatus.SENT, pdf="r.pdf")
    from tests.factories import rule

    lotsen = rule("lotsen")
    lotsen.deadline = datetime.date.today() + datetime.timedelta(days=10)
    lotsen.save()
    client.force_login(owner)
    attention = client.get(reverse("portal:dashboard")).context["attention"]
    kinds = [(item["kind"], item.get("application") and item["application"].pk) for item in attention]
    assert kinds[0] == ("changes", changes.pk)
    assert ("notice", decided.pk) in kinds and [i["notice"] for i in attention if i["kind"] == "notice"] == [notice]
    deadline = [i for i in attention if i["kind"] == "deadline"]
    assert len(deadline) == 1 and deadline[0]["rule"] == lotsen and "in 10 Tagen" in deadline[0]["text"]
