"""An organisation's admin sees which members have a second factor; the demo staff accounts' documented TOTP
secret works in development and never in production."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from applications.accounts.mfa import services
from applications.models import Role
from tests.factories import UserFactory, member

from .conftest import totp_device

pytestmark = pytest.mark.django_db


def test_members_page_shows_who_has_a_second_factor(client, applicant):
    org = applicant.memberships.get().organisation
    with_factor = UserFactory(email="mit@verein.wir", username="mit@verein.wir")
    without = UserFactory(email="ohne@verein.wir", username="ohne@verein.wir")
    member(with_factor, org, Role.MEMBER)
    member(without, org, Role.MEMBER)
    totp_device(with_factor)
    client.force_login(applicant)
    html = client.get(reverse("portal:members", kwargs={"org_id": org.pk})).content.decode()

    def badge_after(email):
        rest = html[html.index(email):]
        start = rest.index("data-second-factor=")
        return rest[start:start + 25]

    assert 'data-second-factor="ja"' in badge_after("mit@verein.wir")
    assert 'data-second-factor="nein"' in badge_after("ohne@verein.wir")
    assert 'data-second-factor="nein"' in badge_after("antrag@verein.wir")


def test_members_page_factor_column_costs_constant_queries(client, applicant):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    org = applicant.memberships.get().organisation
    client.force_login(applicant)
    url = reverse("portal:members", kwargs={"org_id": org.pk})
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(6):
        user = UserFactory()
        member(user, org, Role.MEMBER)
        totp_device(user)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_applicant_enrols_optionally_from_the_account_page(client, applicant):
    client.force_login(applicant)
    page = client.get(reverse("mfa:overview"))
    html = page.content.decode()
    assert page.status_code == 200 and "freiwillig" in html
    assert "Bitte richten Sie jetzt" not in html
    assert 'id="passkey-registration-placeholder"' in html and 'href="/konto/sicherheit/authenticator-app/' in html
    # the passkey script is the package's own static file (CSP script-src 'self'), its configuration JSON data
    assert '/static/django_otp_webauthn/otp_webauthn_register.js' in html
    assert '<script id="otp_webauthn_config" type="application/json">' in html
    assert "<script>" not in html  # no inline script


def test_demo_staff_have_the_documented_secret(client, demo, settings):
    for email in ["sachbearbeitung@demo.wir", "bewilligung@demo.wir", "haushalt@demo.wir", "admin@demo.wir"]:
        assert TOTPDevice.objects.get(user__email=email, confirmed=True).key == services.DEMO_TOTP_KEY
    assert not TOTPDevice.objects.filter(user__email="giessen@demo.wir").exists()

    client.post("/accounts/login/", {"username": "haushalt@demo.wir", "password": "wir-demo-2026"})
    response = client.post(reverse("mfa:verify"), {"method": "totp", "code": services.demo_totp_code()})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_demo_secret_refused_in_production(demo, settings):
    settings.PRODUCTION = True
    other = Client()
    other.post("/accounts/login/", {"username": "bewilligung@demo.wir", "password": "wir-demo-2026"})
    page = other.post(reverse("mfa:verify"), {"method": "totp", "code": services.demo_totp_code()})
    assert page.status_code == 200
    assert other.get("/admin/").status_code == 302
    with pytest.raises(services.FactorError):
        services.demo_factors_seed(UserFactory())
    with pytest.raises(CommandError):
        call_command("mfa_demo_code", stdout=io.StringIO())


def test_demo_code_command_prints_the_current_code(settings):
    out = io.StringIO()
    call_command("mfa_demo_code", stdout=out)
    assert out.getvalue()[:6].isdigit() and out.getvalue()[6:8] == "  "
    assert services.DEMO_TOTP_SECRET in out.getvalue()
