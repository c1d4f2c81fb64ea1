"""Ids above 999 must not be rendered with a German thousands separator in form values (1.234 is not an id)."""

import pytest
from django.urls import reverse

from applications.models import Role
from tests.factories import OrganisationFactory, UserFactory, member

pytestmark = pytest.mark.django_db


def test_switcher_posts_ids_above_999(client):
    user = UserFactory()
    first = OrganisationFactory(pk=12345)
    second = OrganisationFactory(pk=23456, name="Zweiter Verein e. V.")
    member(user, first, Role.ADMIN)
    member(user, second, Role.MEMBER)
    client.force_login(user)
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert 'value="23456"' in page and "23.456" not in page
    response = client.post(reverse("portal:organisation-switch"), {"organisation": "23456"}, follow=True)
    assert response.status_code == 200
    assert "Zweiter Verein e. V." in response.content.decode()
