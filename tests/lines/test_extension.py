"""An Änderungsantrag that extends the period into the next budget year (issue 12): the amount moved there is booked
against that year's allocation or, not yet enacted, its VE — all or nothing, under the lock order, four eyes; a year
without allocation and VE is refused naming the missing figure and who sets it.

Hand-computed from the seed: Migrantenorganisationen 2027 approved 10.200 € (3.000 Mikroprojekt + 7.200 Minijob),
1.1.–31.12.2027; extended to 30.6.2028 with 5.100 € moved into 2028 (2028 has no enacted budget, a VE of 150.000 €):
2027 releases 5.100 € of the allocation, 2028 commits 5.100 € on the VE; the total stays 10.200 €."""

import datetime
import os
import pathlib
from decimal import Decimal

import pytest
from django.urls import reverse

from applications import decisions, services
from applications.models import AmendmentStatus, Notice, NoticeKind, Role
from funding.models import District, LedgerEntry, LedgerKind, LedgerSource, LineRule
from funding.services import budget_figures
from tests.factories import OrganisationFactory, UserFactory, application, member, rule, staff
from tests.notices.conftest import normalised, pdf_bytes, pdf_text
from tests.payments.conftest import fund

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def world(seeded):
    org = OrganisationFactory(name="Brücke e. V.", kind="migrantenorganisation",
                              district=District.objects.get(name="Marburg"))
    signer = UserFactory()
    member(signer, org, Role.SIGNATORY)
    app = fund(application(organisation=org, code="migrantenorganisationen", year=2027, grant="10200.00",
                           costs="10200.00", user=signer), {2027: D("10200.00")})
    return {"app": app, "signer": signer, "sb": staff("Sachbearbeitung"), "bw": staff("Bewilligung")}


def request_extension(world, **kwargs):
    data = {"new_period_end": datetime.date(2028, 6, 30), "reasons": "Das Projekt verzögert sich um ein halbes Jahr.",
            "year_amounts": {2027: D("5100.00"), 2028: D("5100.00")}, **kwargs}
    return decisions.amendment_request_create(application=world["app"], user=world["signer"], **data)


def test_extension_moves_the_amount_into_the_new_year_on_its_ve(world, django_capture_on_commit_callbacks):
    amendment = request_extension(world)
    assert amendment.year_amounts == {"2027": "5100.00", "2028": "5100.00"} and amendment.new_amount == D("10200.00")
    decisions.amendment_recommend(amendment=amendment, user=world["sb"], recommendation="approve")
    ve_before = budget_figures(rule=rule("migrantenorganisationen", 2028)).authority_committed
    with django_capture_on_commit_callbacks(execute=True):
        decisions.amendment_decide(amendment=amendment, user=world["bw"], approve=True)
    app = world["app"]
    app.refresh_from_db()
    assert app.period_end == datetime.date(2028, 6, 30) and app.approved_amount == D("10200.00")
    assert [(p.year, p.approved_grant) for p in app.plan_years.order_by("year")] == [
        (2027, D("5100.00")), (2028, D("5100.00"))]
    rows = sorted((e.rule.programme_year.year, e.kind, e.source, e.amount)
                  for e in LedgerEntry.objects.filter(application=app).select_related("rule__programme_year"))
    assert rows == [(2027, LedgerKind.COMMITMENT, LedgerSource.ALLOCATION, D("10200.00")),
                    (2027, LedgerKind.RELEASE, LedgerSource.ALLOCATION, D("5100.00")),
                    (2028, LedgerKind.COMMITMENT, LedgerSource.AUTHORITY, D("5100.00"))]
    assert budget_figures(rule=rule("migrantenorganisationen", 2028)).authority_committed == ve_before + D("5100")
    notice = Notice.objects.get(application=app, kind=NoticeKind.AMENDMENT)
    text = normalised(pdf_text(pdf_bytes(notice)))
    assert "das Haushaltsjahr 2028: 5.100,00 € (bisher 0,00 €)" in text
    assert "bis 30.06.2028 (bisher bis 31.12.2027)" in text
    assert "Soweit die Zuwendung auf das Haushaltsjahr 2028 entfällt, wird sie zu Lasten" in text  # the VE sentence
    assert "nach Verlängerung" in text  # the new year's eligible expenses in the operative part
    if os.environ.get("WIR_NOTICE_PNG_DIR"):  # look at it: pdftoppm -png
        pathlib.Path(os.environ["WIR_NOTICE_PNG_DIR"], "amendment_extension.pdf").write_bytes(pdf_bytes(notice))


def test_no_allocation_and_no_ve_refuses_everything_naming_figure_and_role(world):
    LineRule.objects.filter(pk=rule("migrantenorganisationen", 2028).pk).update(commitment_authority=None)
    amendment = request_extension(world)
    decisions.amendment_recommend(amendment=amendment, user=world["sb"], recommendation="approve")
    with pytest.raises(services.ApplicationError) as exc:
        decisions.amendment_decide(amendment=amendment, user=world["bw"], approve=True)
    assert ("Für 2028 ist weder ein Mittelansatz noch eine Verpflichtungsermächtigung" in str(exc.value)
            and "Haushalt" in str(exc.value))
    amendment.refresh_from_db()
    assert amendment.status == AmendmentStatus.RECOMMENDED  # nothing decided, nothing booked (no 2027 release)
    assert LedgerEntry.objects.filter(application=world["app"]).count() == 1


def test_four_eyes_the_recommender_cannot_decide_the_extension(world):
    amendment = request_extension(world)
    world["bw"].groups.add(*world["sb"].groups.all())  # may recommend and decide, but not both for one amendment
    decisions.amendment_recommend(amendment=amendment, user=world["bw"], recommendation="approve")
    with pytest.raises(services.ApplicationError, match="Vier-Augen-Prinzip"):
        decisions.amendment_decide(amendment=amendment, user=world["bw"], approve=True)


@pytest.mark.parametrize("kwargs, message", [
    ({"year_amounts": {2027: D("10200.00")}}, "welcher Teil der Zuwendung auf 2028 entfällt"),
    ({"new_period_end": datetime.date(2029, 2, 1), "year_amounts": {2027: D("5100.00"), 2028: D("2550.00"),
                                                                     2029: D("2550.00")}},
     "höchstens 24 Monate"),  # 1.1.2027–1.2.2029 = 26 months
    ({"year_amounts": {2027: D("5100.00"), 2028: D("10200.01")}}, "übersteigt den Höchstbetrag"),
])
def test_bad_extensions_are_refused_with_a_german_message(world, kwargs, message):
    with pytest.raises(services.ApplicationError, match=message):
        request_extension(world, **kwargs)


def test_a_line_decided_per_year_cannot_be_extended_into_the_next(seeded):
    org = OrganisationFactory(name="Lotsen e. V.")
    signer = UserFactory()
    member(signer, org, Role.SIGNATORY)
    app = fund(application(organisation=org, code="lotsen", grant="5000.00", costs="5000.00",
                           details={"coordinating_lotsen": 2, "other_lotsen": 10, "hours": 3000}),
               {2027: D("5000.00")})
    with pytest.raises(services.ApplicationError, match="je Haushaltsjahr bewilligt"):
        decisions.amendment_request_create(application=app, user=signer, reasons="länger",
                                           new_period_end=datetime.date(2028, 3, 31),
                                           year_amounts={2028: D("1000.00")})


def test_portal_form_offers_the_next_year_and_keeps_what_was_typed(client, world):
    client.force_login(world["signer"])
    url = reverse("portal:amendment_request", args=[world["app"].pk])
    assert "Zuwendung 2028 (nur bei Verlängerung" in client.get(url).content.decode()
    data = {"new_period_end": "2028-06-30", "reasons": "Verzögerung", "grant_2027": "5.100,00", "grant_2028": ""}
    for item in world["app"].cost_items.all():
        data[f"cost_{item.pk}"] = "10.200,00"
    response = client.post(url, data)
    assert response.status_code == 400 and "auf 2028 entfällt" in response.content.decode()
    assert 'value="5.100,00"' in response.content.decode()
    data["grant_2028"] = "5.100,00"
    assert client.post(url, data).status_code == 302
    assert world["app"].amendment_requests.get().year_amounts == {"2027": "5100.00", "2028": "5100.00"}
