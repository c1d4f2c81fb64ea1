"""Fixtures for the second-factor tests: staff and applicants, sessions before and after the second factor."""

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from applications.accounts.mfa import testing
from applications.models import Role
from tests.factories import PASSWORD, OrganisationFactory, UserFactory, member, staff


@pytest.fixture
def superuser(seeded):
    return staff(None, is_superuser=True, email="chefin@rp.wir", username="chefin@rp.wir", first_name="Clara",
                 last_name="Chefin")


@pytest.fixture
def sachbearbeitung(seeded):
    return staff("Sachbearbeitung", email="sb@rp.wir", username="sb@rp.wir", first_name="Sabine", last_name="Sach")


@pytest.fixture
def applicant(seeded):
    user = UserFactory(email="antrag@verein.wir", username="antrag@verein.wir", first_name="Anna", last_name="Antrag")
    member(user, OrganisationFactory(name="Verein Eins e. V."), Role.ADMIN)
    return user


def password_login(client: Client, user) -> None:
    """The real first step: e-mail and password through the login form."""
    response = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]


def totp_device(user, *, name="Handy") -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name=name, confirmed=True)


def code(device, offset_steps=0) -> str:
    return testing.code_for(device, offset_steps)


@pytest.fixture
def no_throttle(settings):
    """django-otp delays a retry after a wrong code (1, 2, 4 … s); tests that retry at once switch it off."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
