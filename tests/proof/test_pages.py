"""The applicant's pages and the staff check through the browser's requests: roles (a member keeps the Belegliste
but cannot submit; another organisation gets 404), German errors at the field with nothing typed lost, query
counts that do not grow with rows, the staff roles in the admin, the Prüfvermerk as a PDF."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import CheckDepth, Expense, Notice, NoticeKind, NoticeStatus, Proof, ProofStatus
from applications.notices.outbox import notice_render
from applications.proof import services
from tests.proof.conftest import add_lines, expense, funded_app

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def items(funded):
    return add_lines(funded, [("Honorare", "25000.00"), ("Sachkosten", "15000.00")])


def _ready(proof):
    proof.report = {q.key: "5" for q in services.questions_for(proof.application)}
    proof.save()


def test_overview_shows_due_date_and_plan(funded, items, people, client_as):
    expense(funded, items[0], "31000.00")
    response = client_as(people["colleague"]).get(reverse("portal:proof", args=[funded.pk]))
    text = response.content.decode()
    assert response.status_code == 200
    assert "30.06.2028" in text and "2027/1 Honorare" in text and "mehr als 20 % über dem Ansatz" in text


def test_expense_form_error_at_the_field_keeps_input(funded, items, people, client_as):
    client = client_as(people["colleague"])
    response = client.post(reverse("portal:proof_expenses", args=[funded.pk]), {
        "paid_on": "2027-03-01", "payee": "Dozentin Ayşe", "purpose": "Kurs", "amount": "100,005",
        "cost_item": items[0].pk})
    text = response.content.decode()
    assert response.status_code == 400
    assert "mehr als zwei Nachkommastellen" in text and 'value="Dozentin Ayşe"' in text
    response = client.post(reverse("portal:proof_expenses", args=[funded.pk]), {
        "paid_on": "2028-01-02", "payee": "Dozentin", "purpose": "Kurs", "amount": "100,00", "cost_item": items[0].pk})
    assert response.status_code == 400 and "außerhalb des Bewilligungszeitraums" in response.content.decode()
    response = client.post(reverse("portal:proof_expenses", args=[funded.pk]), {
        "paid_on": "2027-03-01", "payee": "Dozentin", "purpose": "Kurs", "amount": "100,00", "cost_item": items[0].pk})
    assert response.status_code == 302 and Expense.objects.get().amount == D("100.00")


def test_import_page_lists_row_errors(funded, items, people, client_as):
    body = ("Datum;Empfänger;Grund;Betrag;Kostenposition\n01.03.2027;A;B;1,00;2027/1\n"
            "01.03.2027;A;B;1,00;2026/1\n").encode()
    response = client_as(people["colleague"]).post(reverse("portal:proof_import", args=[funded.pk]),
                                                   {"upload": SimpleUploadedFile("b.csv", body)})
    text = response.content.decode()
    assert response.status_code == 400
    assert "Nichts importiert" in text and "Zeile 3, Spalte „Kostenposition“" in text
    assert not Expense.objects.exists()


def test_member_cannot_submit_signatory_can(funded, items, people, client_as, proof):
    expense(funded, items[0], "100.00")
    _ready(proof)
    url = reverse("portal:proof_submit", args=[funded.pk, proof.pk])
    assert client_as(people["colleague"]).post(url).status_code == 403
    assert Proof.objects.get(pk=proof.pk).status == ProofStatus.OPEN
    with pytest.raises(services.ProofError, match="zeichnungsberechtigte"):
        services.proof_submit(proof=proof, user=people["colleague"])
    assert client_as(people["outsider"]).post(url).status_code == 404
    response = client_as(people["signatory"]).post(url)
    assert response.status_code == 302
    proof.refresh_from_db()
    assert proof.status == ProofStatus.SUBMITTED and proof.notice.kind == NoticeKind.PROOF_RECEIPT
    # a second click changes nothing
    client_as(people["signatory"]).post(url)
    assert Notice.objects.filter(kind=NoticeKind.PROOF_RECEIPT).count() == 1


def test_submit_refused_when_incomplete(funded, items, people, proof):
    with pytest.raises(services.ProofError, match="Bitte füllen Sie „Durchgeführte Maßnahmen"):
        services.proof_submit(proof=proof, user=people["signatory"])
    _ready(proof)
    with pytest.raises(services.ProofError, match="Belegliste ist leer"):
        services.proof_submit(proof=proof, user=people["signatory"])


def test_report_page_saves_and_keeps_input(funded, items, people, client_as, proof):
    client = client_as(people["colleague"])
    url = reverse("portal:proof_report", args=[funded.pk, proof.pk])
    response = client.post(url, {"activities": "Kurse", "participants": "-3", "own_funds_2027": "10.000,00"})
    assert response.status_code == 400 and "Bitte keine negative Zahl" in response.content.decode()
    assert "Kurse" in response.content.decode()
    response = client.post(url, {"activities": "Kurse", "participants": "42", "own_funds_2027": "10.000,00"})
    assert response.status_code == 302
    proof.refresh_from_db()
    assert proof.report["participants"] == "42" and proof.incomes.get().own_funds == D("10000.00")


def test_vielfaltszentrum_asks_for_the_targets(org):
    from tests.factories import multi_year_application

    app = multi_year_application(organisation=org, code="vielfaltszentren", year=2026, grants={2026: "1000.00"})
    assert "targets" in {q.key for q in services.questions_for(app)}


def test_upload_checked(funded, items, people, client_as, proof):
    client = client_as(people["colleague"])
    url = reverse("portal:proof_upload", args=[funded.pk, proof.pk])
    response = client.post(url, {"upload": SimpleUploadedFile("bericht.pdf", b"kein pdf")})
    assert response.status_code == 400 and "passt nicht zur Endung" in response.content.decode()
    response = client.post(url, {"upload": SimpleUploadedFile("bericht.pdf", b"%PDF-1.7\n%ok\n")})
    assert response.status_code == 302 and proof.documents.count() == 1


def test_belegliste_queries_do_not_grow(funded, items, people, client_as):
    client = client_as(people["colleague"])
    url = reverse("portal:proof_expenses", args=[funded.pk])
    expense(funded, items[0], "1.00")
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    Expense.objects.bulk_create([Expense(application=funded, cost_item=items[i % 2], paid_on=datetime.date(2027, 1, 1)
                                         + datetime.timedelta(days=i % 300), payee=f"P{i}", purpose="x",
                                         amount=D("1.00")) for i in range(2000)])
    with CaptureQueriesContext(connection) as many:
        response = client.get(url + "?seite=7")
    assert response.status_code == 200 and "Seite 7 von 41" in response.content.decode()  # 2,001 rows / 50
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def _submitted_proofs(org, people, n):
    for _ in range(n):
        app = funded_app(org)
        p = services.proofs_ensure(application=app)[-1]
        Proof.objects.filter(pk=p.pk).update(status=ProofStatus.SUBMITTED)


def test_staff_list_queries_do_not_grow(org, people, staffers, client_as):
    client = client_as(staffers["sachbearbeitung"])
    url = "/admin/applications/proof/?stand=pruefen"
    _submitted_proofs(org, people, 2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _submitted_proofs(org, people, 20)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_staff_roles(funded, items, people, staffers, client_as, proof):
    expense(funded, items[0], "100.00")
    _ready(proof)
    services.proof_submit(proof=proof, user=people["signatory"])
    url = reverse("admin:applications_proof_change", args=[proof.pk])
    for role, status in (("sachbearbeitung", 200), ("bewilligung", 200), ("haushalt", 403), ("nogroup", 403)):
        assert client_as(staffers[role]).get(url).status_code == status, role
    # Bewilligung may not check (start), only countersign
    start = reverse("admin:applications_proof_check_action", args=[proof.pk, "beginnen"])
    client_as(staffers["bewilligung"]).post(start, {"depth": "cursory"})
    assert not proof.checks.exists()
    client_as(staffers["sachbearbeitung"]).post(start, {"depth": "cursory"})
    assert proof.checks.count() == 1


def test_check_through_the_admin_and_the_pdf(funded, items, people, staffers, client_as, proof):
    expense(funded, items[0], "25000.00")
    expense(funded, items[1], "15000.00")
    _ready(proof)
    services.proof_submit(proof=proof, user=people["signatory"])
    sb, bw = client_as(staffers["sachbearbeitung"]), client_as(staffers["bewilligung"])

    def step(client, name, data=None):
        return client.post(reverse("admin:applications_proof_check_action", args=[proof.pk, name]), data or {})

    step(sb, "beginnen", {"depth": CheckDepth.CURSORY})
    step(sb, "speichern", {"depth": CheckDepth.CURSORY, "notes": "Keine Feststellungen.",
                           **{k: "on" for k, _ in services.CHECKLIST_KEYS}})
    step(sb, "zeichnen")
    page = sb.get(reverse("admin:applications_proof_change", args=[proof.pk])).content.decode()
    assert "Gezeichnet, wartet auf Gegenzeichnung" in page
    step(bw, "gegenzeichnen")
    check = proof.checks.get()
    assert check.countersigned_by == staffers["bewilligung"] and check.notice is not None
    assert notice_render(notice_id=check.notice.pk) == NoticeStatus.RENDERED
    check.notice.refresh_from_db()
    from tests.notices.test_tagged_pdf import assert_tagged_pdf_a3a

    assert_tagged_pdf_a3a(check.notice.pdf.read(),
                          title=f"Prüfvermerk zum Verwendungsnachweis {funded.file_number}")


def test_sample_receipts_requested_and_uploaded(funded, items, people, staffers, client_as, proof):
    from django.core import mail as django_mail  # noqa: F401 - the outbox is the table below

    from applications.models import OutboundMail, ProofDocument

    expense(funded, items[0], "100.00")
    _ready(proof)
    services.proof_submit(proof=proof, user=people["signatory"])
    check = services.check_start(proof=proof, user=staffers["sachbearbeitung"], depth=CheckDepth.THOROUGH)
    services.check_request_samples(check=check, user=staffers["sachbearbeitung"], cost_items=[items[1]])
    assert OutboundMail.objects.filter(kind="proof_samples", subject__startswith="Belege zum Verwendungsnachweis").exists()
    client = client_as(people["colleague"])
    page = client.get(reverse("portal:proof_report", args=[funded.pk, proof.pk])).content.decode()
    assert "bittet um Belege zu: 2027 Sachkosten" in page
    url = reverse("portal:proof_upload", args=[funded.pk, proof.pk])
    pdf = b"%PDF-1.7\n%beleg\n"
    response = client.post(url, {"upload": SimpleUploadedFile("r.pdf", pdf), "cost_item": items[0].pk})
    assert response.status_code == 400  # not a requested line: not among the choices
    response = client.post(url, {"upload": SimpleUploadedFile("r.pdf", pdf), "cost_item": items[1].pk})
    assert response.status_code == 302
    document = ProofDocument.objects.get()
    assert (document.kind, document.cost_item_id) == ("receipt", items[1].pk)
    with pytest.raises(services.ProofError, match="keine Belege angefordert"):
        services.proof_document_store(proof=proof, user=people["colleague"], kind="receipt", cost_item=items[0],
                                      upload=SimpleUploadedFile("r.pdf", pdf))
    # a supporting document after submission is refused (only requested receipts)
    response = client.post(url, {"upload": SimpleUploadedFile("bericht.pdf", pdf)})
    assert response.status_code == 400 and ProofDocument.objects.count() == 1
