"""Browser step shared by the staff browser tests: the second factor after the password."""

from django_otp.plugins.otp_totp.models import TOTPDevice

from applications.accounts.mfa import testing
from applications.accounts.mfa.services import DEMO_TOTP_KEY


def demo_device(email: str) -> TOTPDevice:
    """The demo staff account's authenticator (the README's demo secret)."""
    return TOTPDevice.objects.get(user__email=email, key=DEMO_TOTP_KEY, confirmed=True)


def second_factor(page, device: TOTPDevice) -> None:
    """On the verify page the password step led to: type the app's current code, wait to be let through."""
    page.wait_for_url(lambda url: "/konto/sicherheit/bestaetigen/" in url)
    page.get_by_label("Sechsstelliger Code aus der Authenticator-App").fill(testing.code_for(device))
    page.get_by_role("button", name="Code bestätigen").click()
    page.wait_for_url(lambda url: "/konto/sicherheit/" not in url)
