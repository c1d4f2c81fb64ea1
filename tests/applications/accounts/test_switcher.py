"""Organisation switcher and the middleware that sets request.current_organisation."""

import pytest
from django.urls import reverse

from applications.accounts.services import SESSION_ORGANISATION_KEY
from applications.models import Role
from tests.factories import OrganisationFactory, UserFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_org_user(db):
    user = UserFactory()
    a = OrganisationFactory(name="A-Verein")
    b = OrganisationFactory(name="B-Verein")
    member(user, a, Role.MEMBER)
    member(user, b, Role.ADMIN)
    return user, a, b


def test_default_is_first_membership_by_name(client, two_org_user):
    user, a, _b = two_org_user
    client.force_login(user)
    response = client.get(reverse("password_change"))
    assert response.wsgi_request.current_organisation == a
    html = response.content.decode()
    assert 'id="organisation-wechseln"' in html and "B-Verein" in html
    assert "Mitglieder</a>" not in html  # member in A: no member management link


def test_switch_is_remembered_in_session(client, two_org_user):
    user, _a, b = two_org_user
    client.force_login(user)
    response = client.post(reverse("portal:organisation-switch"), {"organisation": b.pk, "next": "/accounts/password_change/"})
    assert response.status_code == 302 and response.url == "/accounts/password_change/"
    assert client.session[SESSION_ORGANISATION_KEY] == b.pk
    response = client.get(reverse("password_change"))
    assert response.wsgi_request.current_organisation == b
    assert reverse("portal:members", kwargs={"org_id": b.pk}) in response.content.decode()  # admin there


def test_switcher_refuses_foreign_organisation(client, two_org_user):
    user, a, _b = two_org_user
    foreign = OrganisationFactory(name="Fremd e. V.")
    client.force_login(user)
    response = client.post(reverse("portal:organisation-switch"), {"organisation": foreign.pk})
    assert response.status_code == 404
    assert SESSION_ORGANISATION_KEY not in client.session
    assert client.post(reverse("portal:organisation-switch"), {"organisation": "abc"}).status_code == 404
    assert client.get(reverse("password_change")).wsgi_request.current_organisation == a


def test_switch_refuses_external_redirect(client, two_org_user):
    user, _a, b = two_org_user
    client.force_login(user)
    response = client.post(reverse("portal:organisation-switch"), {"organisation": b.pk, "next": "https://evil.example/"})
    assert response.url == reverse("portal:dashboard")


def test_switch_is_post_only_and_needs_login(client, two_org_user):
    _user, _a, b = two_org_user
    response = client.post(reverse("portal:organisation-switch"), {"organisation": b.pk})
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    client.force_login(_user)
    assert client.get(reverse("portal:organisation-switch")).status_code == 405


def test_session_choice_falls_back_after_removal(client, two_org_user):
    user, a, b = two_org_user
    client.force_login(user)
    client.post(reverse("portal:organisation-switch"), {"organisation": b.pk})
    user.memberships.filter(organisation=b).delete()
    assert client.get(reverse("password_change")).wsgi_request.current_organisation == a


def test_single_organisation_shows_its_name_without_switcher(client):
    user = UserFactory()
    member(user, OrganisationFactory(name="Nur-ein-Verein"), Role.MEMBER)
    client.force_login(user)
    html = client.get(reverse("password_change")).content.decode()
    assert "Nur-ein-Verein" in html and 'id="organisation-wechseln"' not in html


def test_middleware_costs_one_query(client, two_org_user, django_assert_num_queries):
    from django.test import RequestFactory

    from applications.accounts.middleware import CurrentOrganisationMiddleware

    user, a, _b = two_org_user
    request = RequestFactory().get("/")
    request.user = user
    request.session = {}
    with django_assert_num_queries(1):
        CurrentOrganisationMiddleware(lambda r: None)(request)
    assert request.current_organisation == a and len(request.memberships) == 2
