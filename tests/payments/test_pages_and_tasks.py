"""The applicant's payment page (bad input at the field, nothing lost, 404 for others), the staff admin pages,
tranches falling due by themselves, reminders before unused money lapses, and the overdue list."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail

from applications.models import Event, Payment, PaymentMode, PaymentPlan, PaymentStatus
from applications.payments import services
from tests.factories import application
from tests.payments.conftest import fund

D = Decimal


def _url(app):
    return f"/portal/antraege/{app.pk}/mittelabruf/"


def test_page_shows_figures_for_members_and_404_for_others(funded, people, client_as):
    services.payment_request(application=funded, user=people["signatory"], year=2027, amount=D("1234.50"),
                             need_declared=True)
    page = client_as(people["colleague"]).get(_url(funded))
    html = page.content.decode()
    assert page.status_code == 200
    assert "30.000,00 €" in html and "1.234,50 €" in html and "28.765,50 €" in html
    assert 'name="amount"' not in html  # members view, signatories request
    assert client_as(people["outsider"]).get(_url(funded)).status_code == 404
    assert client_as(people["outsider"]).post(_url(funded), {"year": "2027", "amount": "1",
                                                             "need_declared": "on"}).status_code == 404
    assert client_as(people["colleague"]).post(_url(funded), {"year": "2027", "amount": "1",
                                                              "need_declared": "on"}).status_code == 403
    assert Payment.objects.count() == 1


def test_german_decimal_comma_accepted(funded, people, client_as):
    response = client_as(people["signatory"]).post(_url(funded), {"year": "2027", "amount": "1.234,56",
                                                                  "need_declared": "on"})
    assert response.status_code == 302
    assert Payment.objects.get().amount == D("1234.56")


@pytest.mark.parametrize("amount,message", [
    ("0", "größer als 0"), ("-5", "nicht negativ"), ("12,345", "mehrdeutig"), ("1,234", "mehrdeutig"), ("12,3456", "Nachkommastellen"),
    ("30.000,01", "höchstens 30.000,00 €"), ("abc", "Betrag in Euro"), ("", "Bitte geben Sie den Betrag an"),
])
def test_bad_amount_message_at_the_field_input_kept(funded, people, client_as, amount, message):
    response = client_as(people["signatory"]).post(_url(funded), {"year": "2027", "amount": amount,
                                                                  "need_declared": "on"})
    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in e for e in form.errors["amount"]), form.errors
    assert f'value="{amount}"' in response.content.decode() or amount == ""
    assert not Payment.objects.exists()


def test_year_outside_the_approval_at_the_field(funded, people, client_as):
    response = client_as(people["signatory"]).post(_url(funded), {"year": "2031", "amount": "10,00",
                                                                  "need_declared": "on"})
    assert response.status_code == 400
    assert "bewilligtes Haushaltsjahr" in response.context["form"].errors["year"][0]
    assert 'value="10,00"' in response.content.decode()


def test_missing_iban_message_and_declaration(funded, people, client_as):
    from applications.models import Organisation

    Organisation.objects.filter(pk=funded.organisation_id).update(iban="")
    c = client_as(people["signatory"])
    response = c.post(_url(funded), {"year": "2027", "amount": "10,00", "need_declared": "on"})
    assert response.status_code == 400 and "keine gültige IBAN" in response.content.decode()
    response = c.post(_url(funded), {"year": "2027", "amount": "10,00"})
    assert "binnen zwei Monaten benötigt" in response.context["form"].errors["need_declared"][0]


def test_hostile_year_and_huge_amount_no_500(funded, people, client_as):
    c = client_as(people["signatory"])
    for data in ({"year": "9" * 40, "amount": "1"}, {"year": "2027", "amount": "9" * 60},
                 {"year": "2027", "amount": "1e400"}, {"year": "2027", "amount": "NaN"}):
        assert c.post(_url(funded), {**data, "need_declared": "on"}).status_code == 400


def test_spent_report_and_other_organisations_payment_404(funded, people, staffers, client_as, org):
    p = services.payment_request(application=funded, user=people["signatory"], year=2027, amount=D("100.00"),
                                 need_declared=True)
    services.payment_confirm(payment=p, user=staffers["sachbearbeitung"])
    services.payment_order(payment=p, user=staffers["haushalt"])
    run = services.run_create(user=staffers["haushalt"], payment_ids=[p.pk])
    services.run_execute(run=run, user=staffers["haushalt"])
    page = client_as(people["colleague"]).get(_url(funded)).content.decode()
    p.refresh_from_db()
    assert f"{p.spend_by:%d.%m.%Y}" in page
    url = f"/portal/antraege/{funded.pk}/auszahlungen/{p.pk}/verwendet/"
    assert client_as(people["outsider"]).post(url).status_code == 404
    other = fund(application(organisation=org, code="integrationsprojekte", year=2027, grant="10.00", costs="20.00"), {2027: D("10.00")})
    assert client_as(people["signatory"]).post(f"/portal/antraege/{other.pk}/auszahlungen/{p.pk}/verwendet/").status_code == 404
    assert client_as(people["signatory"]).post(url).status_code == 302
    p.refresh_from_db()
    assert p.spent_reported_at is not None


def test_page_queries_do_not_grow(funded, people, client_as, django_assert_max_num_queries):
    c = client_as(people["signatory"])
    c.get(_url(funded))
    for _ in range(15):
        services.payment_request(application=funded, user=people["signatory"], year=2027, amount=D("1.00"),
                                 need_declared=True)
    with django_assert_max_num_queries(14):
        assert c.get(_url(funded)).status_code == 200


# --- tranches ---------------------------------------------------------------------------------------------------

def test_tranches_fall_due_once_when_final(org, people, staffers):
    app = fund(application(organisation=org, code="vielfaltszentren", year=2026, grant="100000.00", costs="120000.00"),
               {2026: D("60000.00"), 2027: D("40000.00")}, sent_days_ago=None)
    services.payment_plan_set(application=app, user=staffers["sachbearbeitung"], year=2027,
                              mode=PaymentMode.TRANCHES, tranches=4)
    assert services.tranches_fall_due(today=datetime.date(2027, 5, 2)) == 0  # not sent, not final
    from django.utils import timezone

    from applications.models import Notice

    Notice.objects.create(application=app, kind="approval", status="sent",
                          sent_at=timezone.make_aware(datetime.datetime(2027, 1, 5, 9, 0)))
    # final from 09.02.2027; on 02.05. the tranches of 01.01. and 01.04. are due
    assert services.tranches_fall_due(today=datetime.date(2027, 2, 8)) == 0
    assert services.tranches_fall_due(today=datetime.date(2027, 5, 2)) == 2
    assert services.tranches_fall_due(today=datetime.date(2027, 5, 2)) == 0  # idempotent
    tranches = list(Payment.objects.filter(application=app).order_by("tranche_no"))
    assert [(t.tranche_no, t.amount, t.status, t.year) for t in tranches] == [
        (1, D("10000.00"), PaymentStatus.REQUESTED, 2027), (2, D("10000.00"), PaymentStatus.REQUESTED, 2027)]
    assert services.tranches_fall_due(today=datetime.date(2027, 12, 31)) == 2
    assert sum(p.amount for p in Payment.objects.filter(application=app)) == D("40000.00")
    assert Event.objects.filter(application=app, action="payment_tranche_due").count() == 4
    with pytest.raises(services.PaymentError):  # the plan is fixed once tranches fell due
        services.payment_plan_set(application=app, user=staffers["sachbearbeitung"], year=2027, mode="on_request")


def test_tranche_amounts_sum_exactly():
    amounts = services.tranche_amounts(D("100000.00"), 3)
    assert amounts == [D("33333.33"), D("33333.33"), D("33333.34")] and sum(amounts) == D("100000.00")
    assert services.tranche_due_dates(year=2027, tranches=4) == [datetime.date(2027, m, 1) for m in (1, 4, 7, 10)]


def test_notice_states_the_payment_plan(funded, staffers):
    from applications.notices.documents import notice_context_build

    services.payment_plan_set(application=funded, user=staffers["sachbearbeitung"], year=2027,
                              mode=PaymentMode.TRANCHES, tranches=4)
    context = notice_context_build(application=funded, kind="approval", amount=D("30000.00"))
    assert context["payment_plan"] == [{"year": 2027, "mode": "tranches", "tranches": 4,
                                        "dates": ["01.01.2027", "01.04.2027", "01.07.2027", "01.10.2027"],
                                        "enacted": True}]
    PaymentPlan.objects.all().delete()
    context = notice_context_build(application=funded, kind="approval", amount=D("30000.00"))
    assert context["payment_plan"] == []  # the template then states "auf Anforderung"


# --- unused money -----------------------------------------------------------------------------------------------

def _paid(funded, people, staffers, day):
    p = services.payment_request(application=funded, user=people["signatory"], year=2027, amount=D("500.00"),
                                 need_declared=True)
    services.payment_confirm(payment=p, user=staffers["sachbearbeitung"])
    services.payment_order(payment=p, user=staffers["haushalt"])
    run = services.run_create(user=staffers["haushalt"], payment_ids=[p.pk], execution_date=day)
    services.run_execute(run=run, user=staffers["haushalt"])
    p.refresh_from_db()
    return p


def test_reminder_once_before_it_lapses(funded, people, staffers, django_capture_on_commit_callbacks):
    p = _paid(funded, people, staffers, datetime.date(2027, 3, 1))
    assert p.spend_by == datetime.date(2027, 5, 1)
    mail.outbox.clear()
    assert services.spend_reminders_send(today=datetime.date(2027, 4, 1)) == 0  # too early
    with django_capture_on_commit_callbacks(execute=True):
        assert services.spend_reminders_send(today=datetime.date(2027, 4, 20)) == 1
        assert services.spend_reminders_send(today=datetime.date(2027, 4, 21)) == 0
    assert len(mail.outbox) == 1 and "01.05.2027" in mail.outbox[0].body
    assert Event.objects.filter(application=funded, action="payment_reminder").count() == 1


def test_overdue_unspent_for_staff(funded, people, staffers, client_as):
    late = _paid(funded, people, staffers, datetime.date(2026, 1, 1))
    reported = _paid(funded, people, staffers, datetime.date(2026, 1, 1))
    services.payment_spent_report(payment=reported, user=people["signatory"])  # reported after spend_by: still late
    on_time = _paid(funded, people, staffers, datetime.date.today())
    overdue = set(services.overdue_unspent().values_list("pk", flat=True))
    assert late.pk in overdue and reported.pk in overdue and on_time.pk not in overdue
    page = client_as(staffers["sachbearbeitung"]).get("/admin/applications/payment/?verwendung=ueberfaellig")
    assert page.status_code == 200
    assert page.context["cl"].result_count == 2


# --- admin ------------------------------------------------------------------------------------------------------

def test_admin_refuse_and_run_files(funded, people, staffers, client_as):
    p = services.payment_request(application=funded, user=people["signatory"], year=2027, amount=D("700.00"),
                                 need_declared=True)
    sach = client_as(staffers["sachbearbeitung"])
    assert sach.get("/admin/applications/payment/").status_code == 200
    response = sach.post(f"/admin/applications/payment/{p.pk}/ablehnen/", {"reason": ""})
    assert response.status_code == 400
    sach.post(f"/admin/applications/payment/{p.pk}/ablehnen/", {"reason": "Keine Belege"})
    p.refresh_from_db()
    assert p.status == PaymentStatus.REFUSED and p.refusal_reason == "Keine Belege"

    q = services.payment_request(application=funded, user=people["signatory"], year=2027, amount=D("800.00"),
                                 need_declared=True)
    sach.post("/admin/applications/payment/", {"action": "confirm", "_selected_action": [q.pk]})
    haus = client_as(staffers["haushalt"])
    haus.post("/admin/applications/payment/", {"action": "order", "_selected_action": [q.pk]})
    haus.post("/admin/applications/payment/", {"action": "collect_into_run", "_selected_action": [q.pk]})
    q.refresh_from_db()
    assert q.status == PaymentStatus.ORDERED and q.run_id
    xml = haus.get(f"/admin/applications/paymentrun/{q.run_id}/sepa.xml")
    assert xml.status_code == 200 and b"<InstdAmt Ccy=\"EUR\">800.00</InstdAmt>" in b"".join(xml.streaming_content)
    assert haus.get(f"/admin/applications/paymentrun/{q.run_id}/zahllauf.csv").status_code == 200
    assert sach.get(f"/admin/applications/paymentrun/{q.run_id}/sepa.xml").status_code == 403
    assert sach.post(f"/admin/applications/paymentrun/{q.run_id}/ausfuehren/").status_code == 403
    haus.post(f"/admin/applications/paymentrun/{q.run_id}/ausfuehren/")
    haus.post(f"/admin/applications/paymentrun/{q.run_id}/ausfuehren/")
    q.refresh_from_db()
    assert q.status == PaymentStatus.PAID
    assert q.ledger_entry is not None and funded.ledger.filter(kind="payment").count() == 1
    assert haus.get(f"/admin/applications/paymentrun/{q.run_id}/change/").status_code == 200


def test_staff_payment_lists_query_count_fixed(funded, people, staffers, client_as, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = client_as(staffers["haushalt"])
    services.payment_request(application=funded, user=people["signatory"], year=2027, amount=D("1.00"),
                             need_declared=True)
    urls = ["/admin/applications/payment/", "/admin/applications/payment/?status__exact=requested",
            "/admin/applications/paymentrun/"]
    for url in urls:
        assert c.get(url).status_code == 200
    with CaptureQueriesContext(connection) as few:
        for url in urls:
            c.get(url)
    for _ in range(30):
        p = services.payment_request(application=funded, user=people["signatory"], year=2027, amount=D("1.00"),
                                     need_declared=True)
        services.payment_confirm(payment=p, user=staffers["sachbearbeitung"])
        services.payment_order(payment=p, user=staffers["haushalt"])
    services.run_create(user=staffers["haushalt"], payment_ids=Payment.objects.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as many:
        for url in urls:
            assert c.get(url).status_code == 200
    assert len(many) == len(few), (len(few), len(many))


def test_staff_queue_year_filter_from_the_programme_years(funded, people, staffers, client_as):
    """The year filter lists the programme years (no SELECT DISTINCT over all payments) and filters by year."""
    services.payment_request(application=funded, user=people["signatory"], year=2027, amount=D("10.00"),
                             need_declared=True)
    c = client_as(staffers["haushalt"])
    page = c.get("/admin/applications/payment/?year__exact=2027")
    assert page.status_code == 200 and page.context["cl"].result_count == 1
    assert c.get("/admin/applications/payment/?year__exact=2026").context["cl"].result_count == 0
    assert c.get("/admin/applications/payment/?year__exact=x").status_code == 200  # ignored, no 500
