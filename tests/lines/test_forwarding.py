"""Weiterleitung of Mikroprojekte (Nr. 12 VV zu § 44 LHO): the Vielfaltszentrum records each local non-profit it
passed money on to; each Mikroprojekt ≤ the part-cap per year (5.000 € in the seed), all of a year ≤ the Mikroprojekte
amount applied for (here 4.000 € a year); signatories only; errors at the field, nothing typed lost."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from applications.forwarding import services
from applications.models import Forwarding, Organisation, Role
from tests.factories import UserFactory, application, member
from tests.payments.conftest import fund

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def centre(seeded):
    org = Organisation.objects.get(name="Landkreis Gießen")
    app = application(organisation=org, code="vielfaltszentren", year=2026, grant="124000.00", costs="130000.00",
                      details={"coordination_posts": "2", "pay_group": "E 11", "micro_projects": "4000",
                               "recipients": "Frauentreff e. V.; 4.000"})
    return fund(app, {2026: D("124000.00")})


@pytest.fixture
def signer(centre):
    user = UserFactory(first_name="Greta", last_name="Gießen")
    member(user, centre.organisation, Role.SIGNATORY)
    return user


def add(centre, user, amount, year=2026, **kwargs):
    data = {"year": year, "recipient_name": "Frauentreff e. V.", "recipient_address": "Walltorstraße 5, 35390 Gießen",
            "amount": D(amount), "purpose": "Begegnungscafé", "forwarded_on": datetime.date(year, 3, 1), **kwargs}
    return services.forwarding_add(application=centre, user=user, **data)


def test_amounts_within_the_project_cap_and_the_years_mikroprojekte(centre, signer):
    add(centre, signer, "2500.00")
    add(centre, signer, "1500.00", recipient_name="Sportverein e. V.")  # 2.500 + 1.500 = 4.000 = applied for
    with pytest.raises(services.ForwardingError) as exc:
        add(centre, signer, "0.01")  # 4.000,01 > 4.000
    assert exc.value.field == "amount" and "noch 0,00 €" in str(exc.value) and "4.000,00 €" in str(exc.value)
    assert services.forwarding_figures(centre) == [
        {"year": 2026, "allowed": D("4000.00"), "recorded": D("4000.00"), "left": D("0.00")}]
    assert centre.events.filter(action="forwarding_add").count() == 2


def test_one_mikroprojekt_at_most_the_part_cap(centre, signer):
    centre.details = {**centre.details, "micro_projects": "9000"}  # above the cap: only 5.000 € may go on
    centre.save(update_fields=["details"])
    with pytest.raises(services.ForwardingError, match="höchstens 5.000,00 € je Jahr") as exc:
        add(centre, signer, "5000.01")
    assert exc.value.field == "amount"
    add(centre, signer, "5000.00")
    with pytest.raises(services.ForwardingError, match="noch 0,00 €"):
        add(centre, signer, "1.00")  # min(9.000, 5.000) = 5.000 a year


@pytest.mark.parametrize("kwargs, field, message", [
    ({"year": 2027}, "year", "bewilligtes Haushaltsjahr"),
    ({"recipient_name": " "}, "recipient_name", "Namen des Empfängers"),
    ({"recipient_address": ""}, "recipient_address", "Anschrift"),
    ({"forwarded_on": datetime.date(2025, 12, 31)}, "forwarded_on", "im Haushaltsjahr 2026"),
])
def test_bad_input_names_the_field(centre, signer, kwargs, field, message):
    with pytest.raises(services.ForwardingError, match=message) as exc:
        add(centre, signer, "100.00", **kwargs)
    assert exc.value.field == field and not Forwarding.objects.exists()


def test_page_shows_error_at_the_field_and_keeps_what_was_typed(client, centre, signer):
    client.force_login(signer)
    url = reverse("portal:forwarding", args=[centre.pk])
    data = {"year": "2026", "recipient_name": "Frauentreff e. V.", "recipient_address": "Walltorstraße 5",
            "purpose": "Begegnungscafé", "amount": "4.000,01", "forwarded_on": "2026-03-01"}
    response = client.post(url, data)
    assert response.status_code == 400
    assert "noch 4.000,00 €" in str(response.context["form"].errors["amount"])
    html = response.content.decode()
    assert 'value="Frauentreff e. V."' in html and 'value="4.000,01"' in html
    data["amount"] = "4.000,00"
    assert client.post(url, data).status_code == 302
    page = client.get(url).content.decode()
    assert "Frauentreff e. V." in page and "Walltorstraße 5" in page and "4.000,00 €" in page
    forwarding = Forwarding.objects.get()
    assert (forwarding.amount, forwarding.created_by_name) == (D("4000.00"), "Greta Gießen")


def test_member_may_look_but_not_record(client, centre):
    user = UserFactory()
    member(user, centre.organisation, Role.MEMBER)
    with pytest.raises(services.ForwardingError):
        add(centre, user, "100.00")
    client.force_login(user)
    url = reverse("portal:forwarding", args=[centre.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"amount": "1,00"}).status_code == 403


def test_lines_without_mikroprojekte_have_no_forwarding_page(client, seeded):
    org = Organisation.objects.get(name="Landkreis Gießen")
    app = fund(application(organisation=org), {2027: D("50000.00")})
    user = UserFactory()
    member(user, org, Role.SIGNATORY)
    client.force_login(user)
    assert client.get(reverse("portal:forwarding", args=[app.pk])).status_code == 404


def test_demo_records_the_weiterleitung_of_giessen(demo):
    rows = Forwarding.objects.filter(application__title__startswith="[Demo] WIR-Vielfaltszentrum Landkreis Gießen")
    assert sorted(rows.values_list("amount", flat=True)) == [D("2500.00"), D("2500.00")]  # 2 × 2.500 = 5.000 €
