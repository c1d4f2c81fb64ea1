"""Sign staff in WITH a verified second factor from tests and the benchmark (never used by the portal itself).

`verify_session(client, user)` gives the user a confirmed TOTP device named TEST_DEVICE_NAME (random key) and marks
the test client's session as verified by it — what django_otp.login does after a correct code."""

from django.test.client import ClientMixin
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import services

TEST_DEVICE_NAME = "Test-Authenticator"


def device_for_tests(user) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, name=TEST_DEVICE_NAME, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name=TEST_DEVICE_NAME, confirmed=True)


def verify_session(client, user) -> TOTPDevice:
    device = device_for_tests(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[services.SESSION_REQUIRED_KEY] = True
    session.save()
    return device


def force_login_verified(client, user) -> TOTPDevice:
    ClientMixin.force_login(client, user)
    return verify_session(client, user)


def force_login_unverified(client, user) -> None:
    """Password step only: what a session looks like before the second factor."""
    ClientMixin.force_login(client, user)


def code_for(device: TOTPDevice, offset_steps: int = 0) -> str:
    """The code an authenticator app with this device's key shows now (or offset_steps × 30 s later)."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0 - offset_steps * device.step, digits=device.digits):06d}"
