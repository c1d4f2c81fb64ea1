"""Decisions in the admin: each button's form calls its service; wrong role -> 403; domain errors -> message."""

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from applications.models import Application, InternalNote, Message
from applications.workflow import Status
from funding.models import LedgerEntry, LedgerKind, LineRule

pytestmark = pytest.mark.django_db


def decide_url(app, action):
    return reverse("admin:applications_application_decide", args=[app.pk, action])


def change_url(app):
    return reverse("admin:applications_application_change", args=[app.pk])


def test_review_page_shows_data_plan_attachments_and_buttons(client_for, make_app):
    app = make_app(Status.SUBMITTED)
    response = client_for("sachbearbeitung").get(change_url(app))
    assert response.status_code == 200
    html = response.content.decode()
    assert app.file_number in html and "Kosten- und Finanzierungsplan" in html
    assert "Schwerpunkt" in html and "Willkommens- und Anerkennungskultur" in html  # the line's own fields
    assert "50.000,00 €" in html
    assert decide_url(app, "start_review") in html
    assert decide_url(app, "approve") not in html
    att = app.attachments.first()
    download = reverse("admin:applications_application_attachment", args=[app.pk, att.pk])
    assert download in html


def test_buttons_follow_the_workflow_table_per_role(client_for, make_app):
    app = make_app(Status.RECOMMENDED)
    html = {role: client_for(role).get(change_url(app)).content.decode()
            for role in ("sachbearbeitung", "bewilligung", "haushalt")}
    for action in ("approve", "partially_approve", "reject"):
        assert decide_url(app, action) in html["bewilligung"]
        assert decide_url(app, action) not in html["sachbearbeitung"]
        assert decide_url(app, action) not in html["haushalt"]
    assert decide_url(app, "withdraw_for_applicant") in html["sachbearbeitung"]
    assert "/aktion/" not in html["haushalt"]  # Haushalt reads, never decides


@pytest.mark.parametrize(("role", "action"), [
    ("haushalt", "start_review"), ("haushalt", "approve"), ("haushalt", "note"), ("bewilligung", "start_review"),
    ("bewilligung", "recommend"), ("sachbearbeitung", "approve"), ("sachbearbeitung", "reject"),
    ("sachbearbeitung", "amendment_decide"), ("sachbearbeitung", "early_start"),
    ("bewilligung", "amendment_recommend"), ("bewilligung", "withdraw_for_applicant"),
])
def test_posting_a_decision_without_the_role_is_403(client_for, make_app, role, action):
    app = make_app(Status.RECOMMENDED)
    response = client_for(role).post(decide_url(app, action), {"reasons": "x", "amount": "1000", "body": "x"})
    assert response.status_code == 403
    app.refresh_from_db()
    assert app.status == Status.RECOMMENDED and not LedgerEntry.objects.filter(application=app).exists()


def test_staff_without_group_sees_nothing(client_for, make_app):
    app = make_app(Status.SUBMITTED)
    c = client_for("nogroup")
    assert c.get(reverse("admin:applications_application_changelist")).status_code == 403
    assert c.get(change_url(app)).status_code == 403
    assert c.post(decide_url(app, "start_review")).status_code == 403
    index = c.get(reverse("admin:index"))
    assert index.status_code == 200
    assert reverse("admin:applications_application_changelist") not in index.content.decode()


def test_full_walk_in_the_admin(client_for, make_app, users):
    app = make_app(Status.SUBMITTED)
    sb, bw = client_for("sachbearbeitung"), client_for("bewilligung")
    r = sb.post(decide_url(app, "start_review"))
    assert r.status_code == 302 and r["Location"] == change_url(app)
    r = sb.post(decide_url(app, "note"), {"body": "Stellenplan geprüft."})
    assert r.status_code == 302 and InternalNote.objects.get(application=app).author == users["sachbearbeitung"]
    r = sb.post(decide_url(app, "recommend"), {"recommendation": "approve", "reason": ""})
    assert r.status_code == 302
    r = bw.post(decide_url(app, "approve"), {"amount": "50.000,00", "reasons": ""})
    assert r.status_code == 302
    app.refresh_from_db()
    assert app.status == Status.APPROVED and app.approved_amount == Decimal("50000.00")
    assert app.recommended_by == users["sachbearbeitung"] and app.decided_by == users["bewilligung"]
    assert LedgerEntry.objects.get(application=app).amount == Decimal("50000.00")
    page = bw.get(change_url(app)).content.decode()
    assert "Bewilligt" in page and "Stellenplan geprüft." in page and "Mittelbindung" in page


def test_request_changes_emails_the_organisation(client_for, make_app, django_capture_on_commit_callbacks):
    app = make_app(Status.IN_REVIEW)
    with django_capture_on_commit_callbacks(execute=True):
        r = client_for("sachbearbeitung").post(decide_url(app, "request_changes"),
                                               {"message": "Bitte reichen Sie die Stellenbeschreibung nach."})
    assert r.status_code == 302
    app.refresh_from_db()
    assert app.status == Status.CHANGES_REQUESTED and app.is_editable
    assert Message.objects.get(application=app).from_staff
    assert len(mail.outbox) == 1 and app.file_number in mail.outbox[0].subject
    assert app.organisation.email in mail.outbox[0].to


def test_reasons_are_required_at_the_field(client_for, make_app):
    app = make_app(Status.RECOMMENDED)
    r = client_for("bewilligung").post(decide_url(app, "reject"), {"reasons": ""})
    assert r.status_code == 200
    assert "Dieses Feld ist zwingend erforderlich." in r.content.decode()
    app.refresh_from_db()
    assert app.status == Status.RECOMMENDED


def test_over_budget_approval_shows_a_message_not_a_500(client_for, make_app):
    app = make_app(Status.RECOMMENDED)
    LineRule.objects.filter(pk=app.rule_id).update(allocation=Decimal("1000.00"))
    r = client_for("bewilligung").post(decide_url(app, "approve"), {"amount": "50000"})
    assert r.status_code == 200
    html = r.content.decode()
    assert "reichen nicht aus" in html and "verfügbar noch 1.000,00 €" in html and "2027" in html
    app.refresh_from_db()
    assert app.status == Status.RECOMMENDED


def test_wrong_status_is_a_message(client_for, make_app):
    app = make_app(Status.SUBMITTED)
    c = client_for("bewilligung")
    r = c.get(decide_url(app, "approve"))
    assert r.status_code == 302
    r = c.post(decide_url(app, "approve"), {"amount": "50000"}, follow=True)
    assert r.status_code == 200 and "nicht möglich" in r.content.decode()
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED


def test_partial_approval_per_cost_line_and_no_staff_cut(client_for, make_app):
    app = make_app(Status.RECOMMENDED)
    item = app.cost_items.get()
    c = client_for("bewilligung")
    form = c.get(decide_url(app, "partially_approve")).content.decode()
    assert f'name="line_{item.pk}"' in form and f'name="reason_{item.pk}"' in form
    # below the amount applied for without a reason: refused at the field, nothing booked
    r = c.post(decide_url(app, "partially_approve"), {f"line_{item.pk}": "40.000,00", f"reason_{item.pk}": ""})
    assert r.status_code == 200 and "Bitte begründen Sie" in r.content.decode()
    assert not LedgerEntry.objects.filter(application=app).exists()
    r = c.post(decide_url(app, "partially_approve"), {f"line_{item.pk}": "40.000,00",
                                                      f"reason_{item.pk}": "Besetzung ab März"})
    assert r.status_code == 302
    app.refresh_from_db()
    item.refresh_from_db()
    # Fehlbedarf, no other income: the grant is the eligible expenses, 40,000 of 50,000
    assert app.status == Status.PARTIALLY_APPROVED and app.approved_amount == Decimal("40000.00")
    assert item.approved_amount == Decimal("40000.00") and item.exclusion_reason == "Besetzung ab März"
    assert LedgerEntry.objects.get(application=app, kind=LedgerKind.COMMITMENT).amount == Decimal("40000.00")
    # staff can no longer cut an approval by "amendment" (a cut is a partial revocation with a hearing)
    assert "/aktion/amend/" not in c.get(change_url(app)).content.decode()
    assert c.post(decide_url(app, "amend"), {"new_amount": "25000", "reasons": "x"}).status_code == 404
    assert not LedgerEntry.objects.filter(application=app, kind=LedgerKind.RELEASE).exists()


def test_withdraw_on_behalf(client_for, make_app):
    app = make_app(Status.IN_REVIEW)
    r = client_for("sachbearbeitung").post(decide_url(app, "withdraw_for_applicant"), {"reason": "Brief vom 3.1."})
    assert r.status_code == 302
    app.refresh_from_db()
    assert app.status == Status.WITHDRAWN


def test_four_eyes_in_the_admin(client_for, make_app, users, settings):
    settings.WIR_FOUR_EYES_THRESHOLD = "0"
    app = make_app(Status.IN_REVIEW)
    c = client_for("both")
    c.post(decide_url(app, "recommend"), {"recommendation": "approve"})
    page = c.get(change_url(app)).content.decode()
    assert "Vier-Augen-Prinzip" in page
    r = c.post(decide_url(app, "approve"), {"amount": "50000"})
    assert r.status_code == 200 and "Vier-Augen-Prinzip" in r.content.decode()
    app.refresh_from_db()
    assert app.status == Status.RECOMMENDED


def test_multi_year_split_form(client_for, seeded):
    from applications.models import CostItem, PlanYear
    from applications.services import plan_totals_refresh
    from tests.factories import OrganisationFactory, application

    org = OrganisationFactory(kind="migrantenorganisation")
    app = application(organisation=org, code="migrantenorganisationen", year=2026, grant="5000.00", costs="5000.00",
                      details={"micro_project": "3000", "minijob": "7200"})
    CostItem.objects.create(application=app, year=2027, category="personnel", description="Minijob", amount=5200)
    PlanYear.objects.create(application=app, year=2027, requested_grant=Decimal("5200.00"))
    plan_totals_refresh(application=app)
    Application.objects.filter(pk=app.pk).update(status=Status.RECOMMENDED, file_number="WIR-2026-MO-7777")
    c = client_for("bewilligung")
    form = c.get(decide_url(app, "approve")).content.decode()
    assert 'name="year_2026"' in form and 'name="year_2027"' in form
    r = c.post(decide_url(app, "approve"), {"year_2026": "5.000,00", "year_2027": "5.200,00"})
    assert r.status_code == 302
    years = sorted(LedgerEntry.objects.filter(application=app).values_list("rule__programme_year__year", "amount"))
    assert years == [(2026, Decimal("5000.00")), (2027, Decimal("5200.00"))]


def test_attachment_download_is_staff_only(client, client_for, make_app):
    app = make_app(Status.SUBMITTED)
    att = app.attachments.first()
    url = reverse("admin:applications_application_attachment", args=[app.pk, att.pk])
    r = client_for("sachbearbeitung").get(url)
    assert r.status_code == 200 and b"".join(r.streaming_content).startswith(b"%PDF-")
    assert "attachment" in r["Content-Disposition"]
    assert client.get(url).status_code == 302  # anonymous -> admin login
    assert client_for("nogroup").get(url).status_code == 403


def test_status_is_never_editable(client_for, make_app):
    app = make_app(Status.SUBMITTED)
    c = client_for("superuser")
    r = c.post(change_url(app), {"status": Status.APPROVED})
    assert r.status_code == 403
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED
    assert 'name="status"' not in c.get(change_url(app)).content.decode()


# --- Bulk decision ---------------------------------------------------------------------------------------------------

def test_bulk_approve_reports_successes_and_failures(client_for, make_app):
    apps = [make_app(Status.RECOMMENDED) for _ in range(3)]
    not_ready = make_app(Status.IN_REVIEW)
    c = client_for("bewilligung")
    changelist = reverse("admin:applications_application_changelist")
    ids = [a.pk for a in [*apps, not_ready]]
    page = c.post(changelist, {"action": "bulk_approve", "_selected_action": ids})
    assert page.status_code == 200 and "Sammelentscheidung" in page.content.decode()
    data = {"action": "bulk_approve", "_selected_action": ids, "apply": "1", "reasons": ""}
    for a in [*apps, not_ready]:
        data[f"amount_{a.pk}"] = "50.000,00"
    # a lower amount is a partial approval: it fixes the eligible lines one by one, never in bulk
    partial = {**data, f"amount_{apps[2].pk}": "30.000,00"}
    r = c.post(changelist, partial)
    assert r.status_code == 200 and "je Kostenposition" in r.content.decode()
    assert not Application.objects.filter(pk__in=ids, status=Status.APPROVED).exists()
    r = c.post(changelist, data, follow=True)
    assert r.status_code == 200
    texts = [str(m) for m in r.context["messages"]]
    assert any("3 Anträge bewilligt" in t for t in texts), texts
    assert any(not_ready.file_number in t and "nicht möglich" in t for t in texts), texts
    statuses = dict(Application.objects.filter(pk__in=ids).values_list("pk", "status"))
    assert statuses[apps[0].pk] == Status.APPROVED and statuses[apps[2].pk] == Status.APPROVED
    assert statuses[not_ready.pk] == Status.IN_REVIEW


def test_bulk_approve_stops_at_the_budget_per_application(client_for, make_app):
    apps = [make_app(Status.RECOMMENDED) for _ in range(3)]
    from funding.services import budget_figures

    r0 = apps[0].rule
    LineRule.objects.filter(pk=r0.pk).update(allocation=budget_figures(rule=r0).committed + Decimal("100000.00"))
    c = client_for("bewilligung")
    data = {"action": "bulk_approve", "_selected_action": [a.pk for a in apps], "apply": "1", "reasons": ""}
    for a in apps:
        data[f"amount_{a.pk}"] = "50000"
    r = c.post(reverse("admin:applications_application_changelist"), data, follow=True)
    texts = [str(m) for m in r.context["messages"]]
    assert any("2 Anträge bewilligt" in t for t in texts), texts
    assert any("reichen nicht aus" in t for t in texts), texts
    assert Application.objects.filter(pk__in=[a.pk for a in apps], status=Status.APPROVED).count() == 2


def test_bulk_action_is_offered_only_to_deciders(client_for, make_app):
    make_app(Status.RECOMMENDED)
    url = reverse("admin:applications_application_changelist")
    assert "bulk_approve" in client_for("bewilligung").get(url).content.decode()
    assert "bulk_approve" not in client_for("sachbearbeitung").get(url).content.decode()


def test_notice_preview_is_a_draft_pdf(client_for, make_app):
    import io

    from pypdf import PdfReader

    from funding.models import District
    from tests.factories import OrganisationFactory

    c = client_for("bewilligung")
    homeless = make_app(Status.RECOMMENDED)  # no seat -> no court for the remedies: a message, not a 500
    r = c.get(reverse("admin:applications_application_notice_preview", args=[homeless.pk]), follow=True)
    assert r.status_code == 200 and "Verwaltungsgericht" in r.content.decode()

    app = make_app(Status.RECOMMENDED, org=OrganisationFactory(kind="landkreis", district=District.objects.get(name="Kassel")))
    url = reverse("admin:applications_application_notice_preview", args=[app.pk])
    assert url in c.get(change_url(app)).content.decode()
    r = c.get(url)
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
    assert "ENTWURF" in text
    assert client_for("nogroup").get(url).status_code == 403


def test_review_page_query_count_does_not_grow_with_history(client_for, make_app, users):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from applications.models import CostItem
    from applications.services import event_record, internal_note_add

    app = make_app(Status.IN_REVIEW)
    c = client_for("bewilligung")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(change_url(app)).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(10):
        event_record(application=app, user=users["sachbearbeitung"], action="message", reason=f"Nachricht {i}")
        internal_note_add(application=app, user=users["sachbearbeitung"], body=f"Vermerk {i}")
        CostItem.objects.create(application=app, year=2027, category="material", description=f"Posten {i}", amount=10)
    assert count() == few
    assert few <= 20
