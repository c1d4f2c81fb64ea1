"""Issue 16: the portal's amount fields use the one money parser: thousands stay thousands, hostile numbers
(1e308, 1E+30, 30 digits, NaN) are a message at the field, never a 500."""

from decimal import Decimal

import pytest
from django.urls import reverse

from applications.models import Application

from .conftest import VZ_DETAILS, VZ_INCOME, form_data

pytestmark = pytest.mark.usefixtures("centre_round")


def post_new(client, user, data):
    client.force_login(user)
    return client.post(reverse("portal:application_new", args=["vielfaltszentren"]), data)


@pytest.mark.parametrize("typed, expected", [("40.000", "40000.00"), ("40.000,00", "40000.00"), ("1,5", "1.50")])
def test_portal_reads_german_amounts(client, owner, entity, typed, expected):
    post_new(client, owner, form_data(details=VZ_DETAILS, costs=[("material", "Material", typed)],
                                      income={"requested_grant": typed}))
    app = Application.objects.get()
    assert app.cost_items.get().amount == Decimal(expected)
    assert app.plan_years.get().requested_grant == Decimal(expected)


@pytest.mark.parametrize("typed", ["1e308", "1E+30", "1" * 30, "NaN", "-NaN", "Infinity", "9" * 300])
@pytest.mark.parametrize("where", ["cost", "income"])
def test_hostile_numbers_in_portal_amounts_are_a_message(client, owner, entity, typed, where):
    if where == "cost":
        data = form_data(details=VZ_DETAILS, costs=[("material", "Material", typed)], income=VZ_INCOME)
    else:
        data = form_data(details=VZ_DETAILS, income={"own_funds": typed, "requested_grant": "50.000,00"})
    response = post_new(client, owner, data)
    assert response.status_code == 200
    assert not Application.objects.exists()
    assert 'class="invalid-feedback' in response.content.decode() or "is-invalid" in response.content.decode()


@pytest.mark.parametrize("typed", ["1e308", "1E+30", "1" * 30, "NaN"])
def test_hostile_numbers_in_line_fields_are_a_message(client, owner, entity, typed):
    details = {**VZ_DETAILS, "coordination_posts": typed}
    response = post_new(client, owner, form_data(details=details, income=VZ_INCOME))
    assert response.status_code == 200
    assert not Application.objects.exists()


# --- issue 16: free text in the application form -----------------------------------------------------------------

@pytest.mark.parametrize("field, value", [("title", "Titel\r\nBcc: x@example.org"), ("contact_name", "Olga\nOwner"),
                                          ("contact_phone", "0611\x00"), ("title", "A\u2028B")])
def test_single_line_application_fields_refuse_control_characters(client, owner, entity, field, value):
    response = post_new(client, owner, {**form_data(details=VZ_DETAILS, income=VZ_INCOME), field: value})
    assert response.status_code == 200 and not Application.objects.exists()
    assert "Steuerzeichen" in response.content.decode()


def test_cost_description_refuses_line_breaks(client, owner, entity):
    data = form_data(details=VZ_DETAILS, costs=[("material", "Material\r\nmehr", "100")], income=VZ_INCOME)
    response = post_new(client, owner, data)
    assert response.status_code == 200 and not Application.objects.exists()


@pytest.mark.parametrize("field, limit", [("purpose", 8000), ("target_group", 2000)])
def test_free_text_has_a_length_and_nothing_typed_is_lost(client, owner, entity, field, limit):
    response = post_new(client, owner, {**form_data(details=VZ_DETAILS, income=VZ_INCOME), field: "x" * (limit + 1),
                                        "title": "Mein Titel"})
    assert response.status_code == 200 and not Application.objects.exists()
    html = response.content.decode()
    assert "höchstens" in html and 'value="Mein Titel"' in html
    ok = post_new(client, owner, {**form_data(details=VZ_DETAILS, income=VZ_INCOME), field: "x" * limit})
    assert ok.status_code == 302
