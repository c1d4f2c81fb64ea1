"""In Chromium: a staff member's first sign-in forces enrolment — an authenticator app (TOTP) or a passkey (WebAuthn,
with Chromium's virtual authenticator through the DevTools WebAuthn domain) — and the next sign-in asks for it.
The pages pass axe (no serious finding) and run under the strict CSP (no violation in the console)."""

import base64

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp_webauthn.models import WebAuthnCredential

from applications.models import FactorAction, FactorEvent
from tests.applications.test_accessibility import axe_violations, describe
from tests.factories import PASSWORD, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def csp_errors(page):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text else None)
    return errors


def password_step(page, base, email, next_url="/admin/"):
    page.goto(f"{base}{reverse('login')}?next={next_url}")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()


def no_axe_findings(page):
    violations = axe_violations(page)
    assert not violations, f"{page.url}:\n{describe(violations)}"


def app_code(secret: str, offset_steps: int = 0) -> str:
    key = base64.b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    return f"{totp(key, t0=-offset_steps * 30):06d}"


def test_staff_enrol_an_authenticator_app_and_sign_in_with_it(page, live_server, require_browser, seeded, csp_errors):
    user = staff("Bewilligung", email="bw-browser@rp.wir", username="bw-browser@rp.wir")
    base = live_server.url
    password_step(page, base, user.email)

    # first staff sign-in: enrolment is demanded before anything else
    page.get_by_text("Bitte richten Sie jetzt einen zweiten Faktor ein.").wait_for()
    no_axe_findings(page)
    page.goto(base + "/admin/")
    page.get_by_text("Bitte richten Sie jetzt einen zweiten Faktor ein.").wait_for()

    page.get_by_role("link", name="Authenticator-App einrichten").click()
    page.get_by_role("heading", name="Authenticator-App einrichten").wait_for()
    no_axe_findings(page)
    assert page.get_by_role("img", name="QR-Code zum Einrichten der Authenticator-App für bw-browser@rp.wir").is_visible()
    secret = page.locator("[data-totp-secret]").inner_text()
    code_field = page.get_by_label("Sechsstelliger Code aus der Authenticator-App")
    assert code_field.get_attribute("autocomplete") == "one-time-code"
    code_field.fill("000000" if app_code(secret) != "000000" else "111111")
    page.get_by_role("button", name="Code bestätigen").click()
    page.get_by_text("Der Code ist falsch oder schon verwendet.").wait_for()
    page.wait_for_timeout(1100)  # django-otp's delay after a wrong code (1 s)
    code_field = page.get_by_label("Sechsstelliger Code aus der Authenticator-App")
    code_field.fill(app_code(secret))
    page.get_by_role("button", name="Code bestätigen").click()

    # backup codes, shown once; then on to where the sign-in was going
    page.get_by_text("Speichern Sie diese Codes jetzt").wait_for()
    no_axe_findings(page)
    assert page.locator("[data-backup-codes] li").count() == 10
    page.get_by_role("link", name="Weiter").click()
    page.wait_for_url(lambda url: url.rstrip("/").endswith("/admin"))
    assert page.get_by_role("heading", name="Landesprogramm WIR – Sachbearbeitung, Bewilligung, Haushalt").is_visible()

    # sign out and in again: the code of the next time step (the first one was used) lets her in
    page.get_by_role("button", name="Abmelden").click()
    password_step(page, base, user.email)
    page.get_by_role("heading", name="Anmeldung bestätigen").wait_for()
    no_axe_findings(page)
    page.get_by_label("Sechsstelliger Code aus der Authenticator-App").fill(app_code(secret, 1))
    page.get_by_role("button", name="Code bestätigen").click()
    page.wait_for_url(lambda url: url.rstrip("/").endswith("/admin"))
    assert not csp_errors, csp_errors


def test_staff_register_a_passkey_and_sign_in_with_it(page, live_server, require_browser, seeded, csp_errors):
    base = live_server.url
    assert base.startswith("http://localhost:"), "passkeys need a secure context: localhost, not an IP address"
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True,
    }})["authenticatorId"]

    user = staff("Sachbearbeitung", email="sb-browser@rp.wir", username="sb-browser@rp.wir")
    password_step(page, base, user.email)
    page.get_by_text("Bitte richten Sie jetzt einen zweiten Faktor ein.").wait_for()
    page.wait_for_load_state("load")  # the passkey script attaches its handler on load
    page.get_by_role("button", name="Passkey einrichten").click()

    # django-otp-webauthn saves the passkey; our script continues to the backup codes
    page.get_by_text("Speichern Sie diese Codes jetzt").wait_for()
    credential = WebAuthnCredential.objects.get(user=user)
    assert credential.confirmed
    assert FactorEvent.objects.filter(subject=user, action=FactorAction.ENROLLED, factor__startswith="Passkey").exists()
    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert len(stored) == 1 and stored[0]["rpId"] == "localhost"
    page.get_by_role("link", name="Weiter").click()
    page.wait_for_url(lambda url: url.rstrip("/").endswith("/admin"))

    # next sign-in: the passkey is offered and lets him in
    page.get_by_role("button", name="Abmelden").click()
    password_step(page, base, user.email, next_url="/admin/applications/application/")
    page.get_by_role("heading", name="Anmeldung bestätigen").wait_for()
    no_axe_findings(page)
    assert page.get_by_label("Sechsstelliger Code aus der Authenticator-App").count() == 0  # no app enrolled
    sign_count = credential.sign_count
    session_before = {c["name"]: c["value"] for c in page.context.cookies()}["sessionid"]
    page.wait_for_load_state("load")  # the passkey script attaches its handler on load
    page.get_by_role("button", name="Mit Passkey bestätigen").click()
    page.wait_for_url(lambda url: url.endswith("/admin/applications/application/"))
    assert {c["name"]: c["value"] for c in page.context.cookies()}["sessionid"] != session_before  # new key
    credential.refresh_from_db()
    assert credential.sign_count > sign_count or credential.last_used_at is not None
    assert not csp_errors, csp_errors


def test_a_passkey_of_another_account_does_not_verify(page, live_server, require_browser, seeded):
    """The authenticator holds only someone else's passkey: the ceremony fails, the admin stays closed."""
    base = live_server.url
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True,
    }})
    first = staff("Sachbearbeitung", email="eins@rp.wir", username="eins@rp.wir")
    password_step(page, base, first.email)
    page.wait_for_load_state("load")  # the passkey script attaches its handler on load
    page.get_by_role("button", name="Passkey einrichten").click()
    page.get_by_text("Speichern Sie diese Codes jetzt").wait_for()
    page.context.clear_cookies()

    # the second account has a passkey on another device only: this authenticator has none for it
    second = staff("Sachbearbeitung", email="zwei@rp.wir", username="zwei@rp.wir")
    theirs = WebAuthnCredential.objects.get(user=first)
    WebAuthnCredential.objects.create(user=second, name="Anderes Gerät", credential_id=b"\x01" * 32,
                                      public_key=theirs.public_key, sign_count=0, confirmed=True)
    password_step(page, base, second.email)
    page.get_by_role("heading", name="Anmeldung bestätigen").wait_for()
    page.wait_for_load_state("load")  # the passkey script attaches its handler on load
    page.get_by_role("button", name="Mit Passkey bestätigen").click()
    status = page.locator("#passkey-verification-status-message.visible")
    status.wait_for()
    assert status.get_attribute("data-status-enum") in {"not-allowed-or-aborted", "server-error"}, status.inner_text()
    page.goto(base + "/admin/")
    assert "/konto/sicherheit/bestaetigen/" in page.url
