"""Issue 16: the portal's amount fields use the one money parser: thousands stay thousands, hostile numbers
(1e308, 1E+30, 30 digits, NaN) are a message at the field, never a 500."""

from decimal import Decimal

import pytest
from django.urls import reverse

from applications.models import Application

from .conftest import FM_DETAILS, FM_INCOME, form_data


def post_new(client, user, data):
    client.force_login(user)
    return client.post(reverse("portal:application_new", args=["fallmanagement"]), data)


@pytest.mark.parametrize("typed, expected", [("40.000", "40000.00"), ("40.000,00", "40000.00"), ("1,5", "1.50")])
def test_portal_reads_german_amounts(client, owner, entity, typed, expected):
    post_new(client, owner, form_data(details=FM_DETAILS, costs=[("material", "Material", typed)],
                                      income={"requested_grant": typed}))
    app = Application.objects.get()
    assert app.cost_items.get().amount == Decimal(expected)
    assert app.plan_years.get().requested_grant == Decimal(expected)


@pytest.mark.parametrize("typed", ["1e308", "1E+30", "1" * 30, "NaN", "-NaN", "Infinity", "9" * 300])
@pytest.mark.parametrize("where", ["cost", "income"])
def test_hostile_numbers_in_portal_amounts_are_a_message(client, owner, entity, typed, where):
    if where == "cost":
        data = form_data(details=FM_DETAILS, costs=[("material", "Material", typed)], income=FM_INCOME)
    else:
        data = form_data(details=FM_DETAILS, income={"own_funds": typed, "requested_grant": "50.000,00"})
    response = post_new(client, owner, data)
    assert response.status_code == 200
    assert not Application.objects.exists()
    assert 'class="invalid-feedback' in response.content.decode() or "is-invalid" in response.content.decode()


@pytest.mark.parametrize("typed", ["1e308", "1E+30", "1" * 30, "NaN"])
def test_hostile_numbers_in_line_fields_are_a_message(client, owner, entity, typed):
    details = {**FM_DETAILS, "posts": typed}
    response = post_new(client, owner, form_data(details=details, income=FM_INCOME))
    assert response.status_code == 200
    assert not Application.objects.exists()
