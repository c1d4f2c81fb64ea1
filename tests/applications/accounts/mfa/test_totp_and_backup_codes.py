"""Authenticator app (TOTP): enrolment with QR code and secret, confirmation with the first code, verification at
sign-in (wrong code refused, the same code never twice), throttling; backup codes shown once and single-use."""

import re

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from applications.accounts.mfa import services, testing
from applications.models import FactorAction, FactorEvent

from .conftest import code, password_login, totp_device

pytestmark = pytest.mark.django_db


def _codes_on(page) -> list[str]:
    html = page.content.decode()
    block = html[html.index("data-backup-codes"):]
    return re.findall(r"<li class=\"col\">([a-z2-7]{4}-[a-z2-7]{4})</li>", block)


def test_staff_enrol_an_authenticator_app_on_first_login(client, sachbearbeitung, no_throttle):
    password_login(client, sachbearbeitung)
    page = client.get(reverse("mfa:totp-setup") + "?next=/admin/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html
    assert '<img src="data:image/svg+xml' in html and 'alt="QR-Code' in html
    device = TOTPDevice.objects.get(user=sachbearbeitung, confirmed=False)
    assert services.totp_secret(device).replace(" ", "") in html.replace(" ", "")

    # a wrong code is refused at the field; the device stays unconfirmed, the admin stays closed
    wrong = f"{(int(code(device)) + 1) % 1_000_000:06d}"
    page = client.post(reverse("mfa:totp-setup"), {"code": wrong, "next": "/admin/"})
    assert page.status_code == 200
    assert "Der Code ist falsch oder schon verwendet." in page.content.decode()
    assert 'aria-invalid="true"' in page.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get("/admin/").status_code == 302

    # the right code confirms it, verifies the session and shows ten backup codes once
    response = client.post(reverse("mfa:totp-setup"), {"code": code(device), "next": "/admin/"})
    assert response.status_code == 302 and response.url.startswith(reverse("mfa:backup-codes"))
    device.refresh_from_db()
    assert device.confirmed
    page = client.get(response.url)
    codes = _codes_on(page)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get(reverse("mfa:backup-codes")).content.decode().count("data-backup-codes") == 0  # once only
    assert client.get("/admin/").status_code == 200
    assert FactorEvent.objects.filter(subject=sachbearbeitung, action=FactorAction.ENROLLED).count() == 1


def test_wrong_code_refused_and_replay_refused_at_sign_in(client, sachbearbeitung, no_throttle):
    device = totp_device(sachbearbeitung)
    password_login(client, sachbearbeitung)
    wrong = f"{(int(code(device)) + 1) % 1_000_000:06d}"
    page = client.post(reverse("mfa:verify"), {"method": "totp", "code": wrong, "next": "/admin/"})
    assert page.status_code == 200 and "Der Code ist falsch oder schon verwendet." in page.content.decode()
    assert client.get("/admin/").status_code == 302

    current = code(device)
    assert client.post(reverse("mfa:verify"), {"method": "totp", "code": current}).status_code == 302
    assert client.get("/admin/").status_code == 200

    # the same code in a second session (an eavesdropper replaying it) is refused
    from django.test import Client

    other = Client()
    password_login(other, sachbearbeitung)
    page = other.post(reverse("mfa:verify"), {"method": "totp", "code": current})
    assert page.status_code == 200 and "schon verwendet" in page.content.decode()
    assert other.get("/admin/").status_code == 302
    # the next time step's code works
    assert other.post(reverse("mfa:verify"), {"method": "totp", "code": code(device, 1)}).status_code == 302


def test_guessing_is_throttled(client, sachbearbeitung):
    device = totp_device(sachbearbeitung)
    password_login(client, sachbearbeitung)
    wrong = f"{(int(code(device)) + 1) % 1_000_000:06d}"
    client.post(reverse("mfa:verify"), {"method": "totp", "code": wrong})
    # right after a failure even the right code is refused (django-otp: 1, 2, 4 … seconds)
    page = client.post(reverse("mfa:verify"), {"method": "totp", "code": code(device)})
    assert page.status_code == 200 and "Zu viele Versuche" in page.content.decode()
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize("typed", ["12345", "abcdef", "1234567", "١٢٣٤٥٦", "12\x0034", ""])
def test_malformed_codes_get_a_message_not_an_error(client, sachbearbeitung, typed):
    totp_device(sachbearbeitung)
    password_login(client, sachbearbeitung)
    page = client.post(reverse("mfa:verify"), {"method": "totp", "code": typed})
    assert page.status_code == 200
    assert 'aria-invalid="true"' in page.content.decode()


def test_backup_codes_are_single_use(client, sachbearbeitung, no_throttle):
    totp_device(sachbearbeitung)
    codes = services.backup_codes_generate(user=sachbearbeitung)
    password_login(client, sachbearbeitung)
    response = client.post(reverse("mfa:verify"), {"method": "backup", "backup_code": services.format_code(codes[0]).upper()})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert StaticDevice.objects.get(user=sachbearbeitung).token_set.count() == 9

    client.post(reverse("logout"))
    password_login(client, sachbearbeitung)
    page = client.post(reverse("mfa:verify"), {"method": "backup", "backup_code": codes[0]})
    assert page.status_code == 200 and "ungültig oder wurde schon verwendet" in page.content.decode()
    assert client.get("/admin/").status_code == 302
    assert client.post(reverse("mfa:verify"), {"method": "backup", "backup_code": codes[1]}).status_code == 302


def test_new_backup_codes_replace_the_old_ones(client, sachbearbeitung, no_throttle):
    totp_device(sachbearbeitung)
    old = services.backup_codes_generate(user=sachbearbeitung)
    testing.force_login_verified(client, sachbearbeitung)
    response = client.post(reverse("mfa:backup-codes"))
    assert response.status_code == 302
    new = [c.replace("-", "") for c in _codes_on(client.get(response.url))]
    assert len(new) == 10 and not set(new) & set(old)
    client.post(reverse("logout"))
    password_login(client, sachbearbeitung)
    page = client.post(reverse("mfa:verify"), {"method": "backup", "backup_code": old[0]})
    assert page.status_code == 200
    assert client.post(reverse("mfa:verify"), {"method": "backup", "backup_code": new[0]}).status_code == 302


def test_backup_codes_cannot_be_made_without_verification(client, sachbearbeitung):
    totp_device(sachbearbeitung)
    password_login(client, sachbearbeitung)
    response = client.post(reverse("mfa:backup-codes"))
    assert response.status_code == 302 and response.url.startswith(reverse("mfa:verify"))
    assert not StaticDevice.objects.filter(user=sachbearbeitung).exists()


def test_a_second_app_cannot_be_added_without_verification(client, sachbearbeitung):
    """Someone who knows only the password must not add their own factor to an enrolled account."""
    totp_device(sachbearbeitung)
    password_login(client, sachbearbeitung)
    response = client.get(reverse("mfa:totp-setup"))
    assert response.status_code == 302 and response.url.startswith(reverse("mfa:verify"))
    assert TOTPDevice.objects.filter(user=sachbearbeitung).count() == 1
