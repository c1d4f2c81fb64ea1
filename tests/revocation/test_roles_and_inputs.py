"""Who may do what in a proceeding (every new action and page), four eyes on the decision, and bad input answered
with a German message at the field — nothing typed lost."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications.models import ClaimReminder, OutboundMail, Revocation, RevocationOutcome, RevocationStatus
from applications.revocation import services
from tests.revocation.test_flow import open_case, to_decision

pytestmark = pytest.mark.django_db


# --- roles --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("action", "allowed"), [
    ("revocation_open", {"sachbearbeitung", "both"}),
    ("revocation_hearing", {"sachbearbeitung", "both"}),
    ("revocation_prepare", {"sachbearbeitung", "both"}),
    ("revocation_decide", {"bewilligung", "bewilligung2", "both"}),
    ("claim_payment", {"haushalt"}),
])
def test_staff_role_matrix(staffers, action, allowed):
    assert {name for name, user in staffers.items() if services.may(user, action)} == allowed


def test_only_signatories_of_the_organisation_may_answer(funded, people):
    org_id = funded.organisation_id
    assert services.may(people["signatory"], "revocation_answer", organisation_id=org_id)
    assert not services.may(people["colleague"], "revocation_answer", organisation_id=org_id)
    assert not services.may(people["outsider"], "revocation_answer", organisation_id=org_id)


def test_four_eyes_same_person_cannot_prepare_and_decide(funded, staffers):
    both = staffers["both"]  # in Sachbearbeitung and Bewilligung
    rv = open_case(funded, both)
    services.hearing_send(revocation=rv, user=both, deadline=datetime.date(2026, 1, 5), today=datetime.date(2025, 12, 1))
    services.revocation_prepare(revocation=rv, user=both, outcome=RevocationOutcome.REVOKE, considerations="E",
                                today=datetime.date(2026, 2, 2))
    with pytest.raises(services.RevocationError, match="Vier-Augen-Prinzip"):
        services.revocation_decide(revocation=rv, user=both, today=datetime.date(2026, 2, 2))
    assert Revocation.objects.get(pk=rv.pk).status == RevocationStatus.PREPARED
    # somebody else of Bewilligung may
    done = services.revocation_decide(revocation=rv, user=staffers["bewilligung"], today=datetime.date(2026, 2, 2))
    assert done.status == RevocationStatus.DECIDED


def test_decision_waits_for_the_answer_or_the_deadline(funded, staffers):
    sb = staffers["sachbearbeitung"]
    rv = open_case(funded, sb)
    with pytest.raises(services.RevocationError, match="nach der Anhörung"):
        services.revocation_prepare(revocation=rv, user=sb, outcome=RevocationOutcome.REVOKE, considerations="E")
    services.hearing_send(revocation=rv, user=sb, deadline=datetime.date(2026, 1, 5), today=datetime.date(2025, 12, 1))
    with pytest.raises(services.RevocationError, match="läuft bis zum 05.01.2026"):
        services.revocation_prepare(revocation=rv, user=sb, outcome=RevocationOutcome.REVOKE, considerations="E",
                                    today=datetime.date(2026, 1, 5))

def test_hearing_period_of_at_least_two_weeks(funded, staffers):
    sb = staffers["sachbearbeitung"]
    rv = open_case(funded, sb)
    with pytest.raises(services.RevocationError, match="mindestens 14 Tage") as exc:
        services.hearing_send(revocation=rv, user=sb, deadline=datetime.date(2025, 12, 14),
                              today=datetime.date(2025, 12, 1))
    assert exc.value.field == "deadline"
    notice = services.hearing_send(revocation=rv, user=sb, today=datetime.date(2025, 12, 1))  # default: 28 days
    rv.refresh_from_db()
    assert rv.hearing_deadline == datetime.date(2025, 12, 29) and notice.kind == "hearing"


def test_the_answer_must_be_addressed(funded, staffers, people):
    sb = staffers["sachbearbeitung"]
    rv = open_case(funded, sb)
    services.hearing_send(revocation=rv, user=sb, deadline=datetime.date(2026, 1, 5), today=datetime.date(2025, 12, 1))
    services.hearing_answer(revocation=rv, user=people["signatory"], text="Die Stelle ist seit Januar besetzt.")
    with pytest.raises(services.RevocationError) as exc:
        services.revocation_prepare(revocation=rv, user=sb, outcome=RevocationOutcome.REVOKE, considerations="E")
    assert exc.value.field == "answer_assessment"
    with pytest.raises(services.RevocationError, match="bereits eingegangen"):
        services.hearing_answer(revocation=rv, user=people["signatory"], text="Noch etwas.")


# --- bad input ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("amounts", "field", "message"), [
    ({2025: D("30000.01")}, "amount_2025", "30.000,00 € bewilligt; mehr kann nicht widerrufen werden"),
    ({2025: D("0")}, "amount_2025", "größer als 0"),
    ({2025: D("-5")}, "amount_2025", "größer als 0"),
    ({2025: D("10.005")}, "amount_2025", "zwei Nachkommastellen"),
    ({2024: D("100")}, "amount_2024", "Für 2024 ist nichts bewilligt"),
])
def test_bad_amounts_are_refused_at_the_field(funded, staffers, amounts, field, message):
    with pytest.raises(services.RevocationError) as exc:
        open_case(funded, staffers["sachbearbeitung"], amounts=amounts)
    assert exc.value.field == field and message in str(exc.value)
    assert not Revocation.objects.exists()


def test_effective_date_before_the_approval_is_refused(funded, staffers):
    with pytest.raises(services.RevocationError) as exc:
        open_case(funded, staffers["sachbearbeitung"], effective_date=datetime.date(2025, 1, 14))
    assert exc.value.field == "effective_date"
    assert "vor dem Zuwendungsbescheid vom 15.01.2025" in str(exc.value)
    # the approval day itself (with effect for the whole past of the grant) is allowed
    assert open_case(funded, staffers["sachbearbeitung"], effective_date=datetime.date(2025, 1, 15)).pk


def test_bad_payments_on_a_claim(funded, staffers):
    claim = to_decision(funded, staffers).claim
    hh = staffers["haushalt"]
    for amount, message in ((D("-5.00"), "größer als 0"), (D("0"), "größer als 0"),
                            (D("5000.00"), "sind nur 2.083,83 € offen")):
        # on 2 Mar 2026: 2,000 + 83.83 interest (see test_flow) = 2,083.83 open
        with pytest.raises(services.RevocationError) as exc:
            services.claim_payment_record(claim=claim, user=hh, amount=amount, received_on=datetime.date(2026, 3, 2),
                                          today=datetime.date(2026, 3, 3))
        assert exc.value.field == "amount" and message in str(exc.value)
    with pytest.raises(services.RevocationError) as exc:
        services.claim_payment_record(claim=claim, user=hh, amount=D("10"), received_on=datetime.date(2026, 3, 9),
                                      today=datetime.date(2026, 3, 3))
    assert exc.value.field == "received_on"
    with pytest.raises(services.RevocationError, match="keine Berechtigung"):
        services.claim_payment_record(claim=claim, user=staffers["sachbearbeitung"], amount=D("10"),
                                      received_on=datetime.date(2026, 3, 2), today=datetime.date(2026, 3, 3))
    assert not claim.payments.exists()


def test_admin_forms_keep_what_was_typed(funded, staffers, client_as):
    client = client_as(staffers["sachbearbeitung"])
    url = reverse("admin:applications_revocation_add") + f"?antrag={funded.pk}"
    response = client.post(url, {"ground": "purpose", "basis": "widerruf_49_3_1", "facts": "Mein Sachverhalt",
                                 "effective_date": "2025-07-01", "amount_2025": "40.000,00"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "mehr kann nicht widerrufen werden" in body and "Mein Sachverhalt" in body and "40.000,00" in body
    response = client.post(url, {"ground": "purpose", "basis": "widerruf_49_3_1", "facts": "Mein Sachverhalt",
                                 "effective_date": "2025-07-01", "amount_2025": "12.000,00"})
    assert response.status_code == 302
    rv = Revocation.objects.get()
    assert rv.revoked_total == D("12000.00") and rv.refund_total == D("2000.00")


def test_admin_waiver_without_reason_and_negative_payment(funded, staffers, client_as):
    sb = staffers["sachbearbeitung"]
    rv = open_case(funded, sb)
    services.hearing_send(revocation=rv, user=sb, deadline=datetime.date(2026, 1, 5), today=datetime.date(2025, 12, 1))
    response = client_as(sb).post(reverse("admin:applications_revocation_prepare", args=[rv.pk]), {
        "outcome": "revoke", "considerations": "Meine Erwägungen", "interest_waived": "on",
        "interest_waiver_reason": ""})
    body = response.content.decode()
    assert response.status_code == 400 and "Bitte begründen Sie den Verzicht auf die Zinsen" in body
    assert "Meine Erwägungen" in body
    services.revocation_prepare(revocation=rv, user=sb, outcome="revoke", considerations="E",
                                today=datetime.date(2026, 2, 2))
    rv = services.revocation_decide(revocation=rv, user=staffers["bewilligung"], today=datetime.date(2026, 2, 2))
    response = client_as(staffers["haushalt"]).post(
        reverse("admin:applications_refundclaim_payment", args=[rv.claim.pk]),
        {"received_on": "2026-03-02", "amount": "-5,00"})
    body = response.content.decode()
    assert response.status_code == 400 and "nicht negativ" in body and "-5,00" in body
    assert not rv.claim.payments.exists()


def test_staff_pages_per_role(funded, staffers, client_as):
    rv = open_case(funded, staffers["sachbearbeitung"])
    detail = reverse("admin:applications_revocation_change", args=[rv.pk])
    queue = reverse("admin:applications_revocation_changelist")
    for name in ("sachbearbeitung", "bewilligung", "haushalt"):
        client = client_as(staffers[name])
        assert client.get(queue).status_code == 200, name
        assert client.get(detail).status_code == 200, name
    nogroup = client_as(staffers["nogroup"])
    assert nogroup.get(queue).status_code == 403
    # posting a step without its permission: refused, nothing changes
    response = client_as(staffers["haushalt"]).post(reverse("admin:applications_revocation_hearing", args=[rv.pk]),
                                                    {"deadline": "2030-01-01"})
    assert response.status_code == 403
    assert Revocation.objects.get(pk=rv.pk).status == RevocationStatus.OPENED
    assert client_as(staffers["bewilligung"]).get(reverse("admin:applications_revocation_add")).status_code == 403


# --- the recipient's page ---------------------------------------------------------------------------------------

def test_recipient_sees_own_proceeding_only_after_the_hearing_and_answers(funded, staffers, people, client_as):
    sb = staffers["sachbearbeitung"]
    rv = open_case(funded, sb)
    url = reverse("portal:revocations", args=[funded.pk])
    signatory = client_as(people["signatory"])
    assert "kein Widerrufsverfahren" in signatory.get(url).content.decode()  # still being prepared by staff
    services.hearing_send(revocation=rv, user=sb)
    page = signatory.get(url).content.decode()
    assert "Stellungnahme absenden" in page
    assert client_as(people["outsider"]).get(url).status_code == 404
    colleague_page = client_as(people["colleague"]).get(url)
    assert colleague_page.status_code == 200 and "Stellungnahme absenden" not in colleague_page.content.decode()
    answer = reverse("portal:revocation_answer", args=[funded.pk, rv.pk])
    # a fake PDF is refused at the field; the text typed stays
    bad = SimpleUploadedFile("beleg.pdf", b"not a pdf", content_type="application/pdf")
    response = signatory.post(answer, {"text": "Mein Text bleibt", "documents": [bad]})
    body = response.content.decode()
    assert response.status_code == 400 and "passt nicht zur Endung" in body and "Mein Text bleibt" in body
    good = SimpleUploadedFile("beleg.pdf", b"%PDF-1.7\n%ok\n", content_type="application/pdf")
    assert signatory.post(answer, {"text": "Mein Text", "documents": [good]}).status_code == 302
    rv.refresh_from_db()
    assert rv.answer_text == "Mein Text" and rv.documents.count() == 1
    doc = rv.documents.get()
    assert signatory.get(reverse("portal:revocation_document", args=[funded.pk, rv.pk, doc.pk])).status_code == 200
    assert client_as(people["outsider"]).get(
        reverse("portal:revocation_document", args=[funded.pk, rv.pk, doc.pk])).status_code == 404
    # staff see the answer in the queue
    queue = client_as(sb).get(reverse("admin:applications_revocation_changelist") + "?anhoerung=beantwortet")
    assert funded.file_number in queue.content.decode() and "eingegangen am" in queue.content.decode()


# --- reminders ------------------------------------------------------------------------------------------------------

def test_reminders_once_per_level(funded, staffers):
    claim = to_decision(funded, staffers).claim  # due 5 Mar 2026
    assert services.claim_reminders_send(today=datetime.date(2026, 3, 19)) == 0  # 14 days after: not yet
    assert services.claim_reminders_send(today=datetime.date(2026, 3, 20)) == 1
    assert services.claim_reminders_send(today=datetime.date(2026, 3, 21)) == 0  # never twice the same level
    assert services.claim_reminders_send(today=datetime.date(2026, 4, 17)) == 1  # 42 days after: level 2
    assert services.claim_reminders_send(today=datetime.date(2026, 5, 1)) == 0
    assert list(ClaimReminder.objects.filter(claim=claim).values_list("level", flat=True)) == [1, 2]
    first = ClaimReminder.objects.get(claim=claim, level=1)
    # on 20 Mar 2026: 2,000 + interest 2 Jul 2025 – 20 Mar 2026 = 62.87 + (31+28+20 = 79 days: 125.4 × 79/365
    #   = 27.1414 → 27.14) = 2,090.01
    assert first.amount_due == D("2090.01")
    mail = OutboundMail.objects.get(pk=first.mail_id)
    assert "1. Mahnung" in mail.subject and "2.090,01 €" in mail.body_text


# --- query budgets ----------------------------------------------------------------------------------------------

def _proceedings(org, people, n):
    from applications.models import ClaimPayment, RefundClaim, RevocationStatus
    from tests.revocation.conftest import approve_2025
    from tests.revocation.support import matrix_revocation

    apps = []
    for _ in range(n):
        app = approve_2025(org, grant="1000.00")
        rv, _doc = matrix_revocation(app, people["signatory"])
        Revocation.objects.filter(pk=rv.pk).update(status=RevocationStatus.DECIDED)
        claim = RefundClaim.objects.create(revocation=rv, application=app, principal=D("100.00"),
                                           interest_from=datetime.date(2025, 7, 1), due_date=datetime.date(2026, 1, 1))
        ClaimPayment.objects.create(claim=claim, received_on=datetime.date(2026, 2, 1), amount=D("10.00"),
                                    to_interest=D("10.00"), recorded_by_name="T")
        apps.append(app)
    return apps


@pytest.mark.parametrize("n", [2, 8])
def test_staff_queue_queries_do_not_grow(org, people, staffers, client_as, django_assert_max_num_queries, n):
    _proceedings(org, people, n)
    client = client_as(staffers["sachbearbeitung"])
    url = reverse("admin:applications_revocation_changelist")
    client.get(url)
    # session, user, groups/permissions, counts, the page's keys, rows with application and organisation
    # (9 for 2 and for 8 rows: the same number however many proceedings there are)
    with django_assert_max_num_queries(9):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("n", [1, 4])
def test_recipient_page_queries_do_not_grow_with_claims(org, people, staffers, client_as,
                                                        django_assert_max_num_queries, n):
    from tests.revocation.support import matrix_revocation

    app = _proceedings(org, people, 1)[0]
    for _ in range(n - 1):  # more proceedings (and claims) on the same application
        rv, _doc = matrix_revocation(app, people["signatory"])
    client = client_as(people["signatory"])
    url = reverse("portal:revocations", args=[app.pk])
    client.get(url)
    # session, user, application, membership, proceedings + years + documents, claims + payments, base rates,
    # signatory check
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


def test_open_form_prefilled_from_the_proof_of_use_check(funded, staffers, client_as):
    url = (reverse("admin:applications_revocation_add") + f"?antrag={funded.pk}&anlass=proof_result"
           "&pruefbetrag=4.500,00&bezug=Prüfvermerk VN 2025 vom 03.03.2026")
    body = client_as(staffers["sachbearbeitung"]).get(url).content.decode()
    assert 'value="4.500,00"' in body and "Prüfvermerk VN 2025 vom 03.03.2026" in body
    assert '<option value="proof_result" selected>' in body


def test_dashboard_calls_a_hearing_a_letter_not_a_decision(org, people, staffers, client_as):
    """The hearing (like a receipt) is a letter: the dashboard's badge says "Schreiben", never "Bescheid"."""
    from django.core.files.base import ContentFile
    from django.urls import reverse

    from applications.models import Notice, NoticeKind, NoticeStatus

    app = _proceedings(org, people, 1)[0]
    for kind in (NoticeKind.HEARING, NoticeKind.APPROVAL):
        notice = Notice.objects.create(application=app, kind=kind, status=NoticeStatus.SENT, number=f"T/{kind}")
        notice.pdf.save(f"{kind}.pdf", ContentFile(b"%PDF-1.7\n"), save=True)
    html = client_as(people["signatory"]).get(reverse("portal:dashboard")).content.decode()
    item = html.split("Anhörung (§ 28 HVwVfG) zu")[0].rsplit("<li", 1)[1]
    assert "Schreiben</span>" in item and "Bescheid</span>" not in item
    decision = html.split("Zuwendungsbescheid zu")[0].rsplit("<li", 1)[1]
    assert "Bescheid</span>" in decision  # a decision keeps its badge
