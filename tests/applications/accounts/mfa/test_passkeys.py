"""Passkeys without a browser: the relying party and origins, and django-otp-webauthn's API behind our rules
(someone with only the password of an enrolled account cannot add a passkey; no passwordless sign-in)."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from applications.accounts.mfa import testing
from applications.accounts.mfa.webauthn import PortalWebAuthnHelper

from .conftest import password_login, totp_device

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("host", "production", "rp_id", "origins"), [
    ("localhost:43211", False, "localhost", ["http://localhost:43211"]),    # live test server, any port
    ("127.0.0.1:8000", False, "rp.from.settings", ["https://rp.from.settings"]),  # no passkeys on IPs
    ("localhost:8000", True, "rp.from.settings", ["https://rp.from.settings"]),   # production: settings only
])
def test_relying_party(settings, host, production, rp_id, origins):
    settings.PRODUCTION = production
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    settings.OTP_WEBAUTHN_RP_ID = "rp.from.settings"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = ["https://rp.from.settings"]
    helper = PortalWebAuthnHelper(RequestFactory().get("/", HTTP_HOST=host))
    assert helper.get_relying_party_domain() == rp_id
    assert helper.get_allowed_origins() == origins


def test_password_alone_cannot_add_a_passkey_to_an_enrolled_account(client, sachbearbeitung):
    totp_device(sachbearbeitung)
    password_login(client, sachbearbeitung)
    response = client.post(reverse("otp_webauthn:credential-registration-begin"), content_type="application/json")
    assert response.status_code == 403
    # verified, the ceremony starts (options with a challenge for this site)
    testing.verify_session(client, sachbearbeitung)
    response = client.post(reverse("otp_webauthn:credential-registration-begin"), content_type="application/json",
                           HTTP_HOST="localhost")
    assert response.status_code == 200 and response.json()["rp"]["id"] == "localhost"


def test_first_passkey_may_be_registered_with_the_password_only(client, sachbearbeitung):
    """Enrolment at the first staff sign-in: no factor yet, so the ceremony may start."""
    password_login(client, sachbearbeitung)
    response = client.post(reverse("otp_webauthn:credential-registration-begin"), content_type="application/json",
                           HTTP_HOST="localhost")
    assert response.status_code == 200 and response.json()["challenge"]


def test_no_passwordless_sign_in(client):
    response = client.post(reverse("otp_webauthn:credential-authentication-begin"), content_type="application/json")
    assert response.status_code in (400, 403)
    assert "_auth_user_id" not in client.session
