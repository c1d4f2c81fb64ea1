"""Browser flow (issue 3), first half: register a Träger → confirm the e-mail → staff verify it in the admin →
the admin invites a colleague → the colleague accepts and works for the organisation.

The applying half (draft with cost plan and attachments → validation error fixed → submit → status page) is
tested in tests/applications/apply/. Mail goes to the locmem outbox; live_server runs in this process, so the
test reads the links from django.core.mail.outbox.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from applications.accounts.mfa.testing import device_for_tests
from applications.models import Invitation, Membership, Organisation, Role
from tests.applications.accounts.mfa.browser import second_factor
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REGISTRANT = "vorstand@brueckenbauer.example"
COLLEAGUE = "kassenwart@brueckenbauer.example"
NEW_PASSWORD = "Sonnenblume-2026!"
COLLEAGUE_PASSWORD = "Kolibri-Garten-77"


def link_from_last_mail(pattern: str, base: str) -> str:
    body = mail.outbox[-1].body
    match = re.search(r"https?://[^/\s]+(" + pattern + r")", body)
    assert match, body
    return base + match.group(1)


def field(page, text: str):
    """A form control by its exact label; crispy-forms appends "*" to required fields' labels."""
    return page.get_by_label(re.compile(r"^\s*" + re.escape(text) + r"\s*\*?\s*$"))


def login(page, base, email, password):
    page.goto(base + reverse("login"))
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort", exact=True).fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_register_verify_invite_accept(page, browser, live_server, require_browser, seeded, settings):
    settings.SITE_URL = live_server.url
    base = live_server.url

    # 1. Register a Träger (one field wrong first: the input survives the round trip)
    page.goto(base + reverse("portal:register"))
    field(page, "Vorname").fill("Fatma")
    field(page, "Nachname").fill("Yilmaz")
    field(page, "Ihre E-Mail-Adresse").fill(REGISTRANT)
    field(page, "Passwort").fill(NEW_PASSWORD)
    field(page, "Passwort wiederholen").fill(NEW_PASSWORD)
    field(page, "Name der Organisation").fill("Brückenbauer e. V.")
    field(page, "Art der Organisation").select_option(label="Migrantenorganisation")
    field(page, "Landkreis / kreisfreie Stadt des Sitzes").select_option(label="Darmstadt")
    field(page, "Straße und Hausnummer").fill("Rheinstraße 5")
    field(page, "PLZ").fill("64283")
    field(page, "Ort").fill("Darmstadt")
    field(page, "E-Mail der Organisation (Kontakt)").fill("info@brueckenbauer.example")
    field(page, "Telefon").fill("06151 12345")
    field(page, "Die Organisation ist als gemeinnützig anerkannt.").check()
    field(page, "Vereinsregister-Nummer").fill("VR 4711")
    field(page, "IBAN").fill("DE00 1203 0000 0000 2020 51")  # wrong check digits
    field(page, "Kontoinhaber").fill("Brückenbauer e. V.")
    field(page, "Ich habe die Datenschutzhinweise gelesen.").check()
    page.get_by_role("button", name="Registrieren").click()

    page.get_by_role("link", name="IBAN: Diese IBAN ist ungültig").wait_for()  # error summary, links to the field
    assert page.evaluate("document.activeElement.id") == "formular-fehler"  # focused, so it is read out
    assert page.locator("#id_iban_error, .invalid-feedback", has_text="Diese IBAN ist ungültig").count() == 1
    iban = field(page, "IBAN")
    assert iban.get_attribute("aria-invalid") == "true"
    assert field(page, "Name der Organisation").input_value() == "Brückenbauer e. V."
    assert field(page, "Vereinsregister-Nummer").input_value() == "VR 4711"
    assert field(page, "Art der Organisation").input_value() == "migrantenorganisation"
    assert mail.outbox == []
    # passwords are not sent back to the browser: type them again, fix the IBAN
    field(page, "Passwort").fill(NEW_PASSWORD)
    field(page, "Passwort wiederholen").fill(NEW_PASSWORD)
    iban.fill("DE02 1203 0000 0000 2020 51")
    page.get_by_role("button", name="Registrieren").click()
    page.get_by_role("heading", name="Bitte bestätigen Sie Ihre E-Mail-Adresse").wait_for()

    org = Organisation.objects.get(name="Brückenbauer e. V.")
    assert org.verified_at is None and org.iban == "DE02120300000000202051"
    assert not get_user_model().objects.get(email=REGISTRANT).is_active

    # 2. Confirm the e-mail address through the link in the mail
    assert mail.outbox[-1].to == [REGISTRANT]
    page.goto(link_from_last_mail(r"/portal/registrieren/bestaetigen/\S+/", base))
    page.get_by_role("heading", name="Ihre E-Mail-Adresse ist bestätigt").wait_for()
    login(page, base, REGISTRANT, NEW_PASSWORD)
    assert page.get_by_text("„Brückenbauer e. V.“ ist noch nicht geprüft.").is_visible()

    # 3. Ministry staff verify the organisation in the admin (action "Organisation prüfen/verifizieren")
    rp = UserFactory(email="rp@land.example", username="rp@land.example", is_staff=True, is_superuser=True)
    rp_device = device_for_tests(rp)
    staff_context = browser.new_context(locale="de-DE")
    staff = staff_context.new_page()
    staff.goto(base + "/admin/login/?next=/admin/applications/organisation/")
    staff.locator("input[name=username]").fill("rp@land.example")
    staff.locator("input[name=password]").fill(PASSWORD)
    staff.locator("input[type=submit], button[type=submit]").first.click()
    second_factor(staff, rp_device)
    staff.goto(base + "/admin/applications/organisation/?q=Brückenbauer")
    staff.locator(f"input.action-select[value='{org.pk}']").check()
    staff.locator("select[name=action]").select_option("verify")
    staff.locator("button[name=index], input[name=index]").first.click()
    staff.get_by_text("Geprüft und freigeschaltet: Brückenbauer e. V.").wait_for()
    staff_context.close()
    org.refresh_from_db()
    assert org.verified_at is not None
    assert mail.outbox[-1].to == ["info@brueckenbauer.example"] and "freigeschaltet" in mail.outbox[-1].subject

    page.reload()
    assert page.get_by_text("ist noch nicht geprüft").count() == 0

    # 4. The registrant (organisation admin) invites a colleague as signatory
    page.get_by_role("link", name="Mitglieder").click()
    page.get_by_role("heading", name="Mitglieder von „Brückenbauer e. V.“").wait_for()
    field(page, "E-Mail-Adresse").fill(COLLEAGUE)
    field(page, "Rolle").select_option(Role.SIGNATORY)
    page.get_by_role("button", name="Einladung senden").click()
    page.get_by_text(f"Die Einladung an {COLLEAGUE} ist versandt.").wait_for()
    assert page.get_by_text(f"{COLLEAGUE} – Zeichnungsberechtigt").is_visible()
    assert mail.outbox[-1].to == [COLLEAGUE]
    invitation_link = link_from_last_mail(r"/portal/einladung/\S+/", base)

    # 5. The colleague accepts in their own browser, creates the account, logs in, works for the organisation
    colleague_context = browser.new_context(locale="de-DE")
    colleague = colleague_context.new_page()
    colleague.goto(invitation_link)
    colleague.get_by_role("heading", name="Einladung in die Organisation „Brückenbauer e. V.“").wait_for()
    field(colleague, "Vorname").fill("Karl")
    field(colleague, "Nachname").fill("Kasse")
    field(colleague, "Passwort").fill(COLLEAGUE_PASSWORD)
    field(colleague, "Passwort wiederholen").fill(COLLEAGUE_PASSWORD)
    colleague.get_by_role("button", name="Konto anlegen und beitreten").click()
    colleague.get_by_text("Ihr Konto ist angelegt.").wait_for()
    login(colleague, base, COLLEAGUE, COLLEAGUE_PASSWORD)
    assert colleague.url.rstrip("/").endswith("/portal")
    assert colleague.get_by_text("Brückenbauer e. V.").first.is_visible()
    assert colleague.get_by_role("link", name="Mitglieder").count() == 0  # signatory, not admin

    user = get_user_model().objects.get(email=COLLEAGUE)
    assert Membership.objects.get(user=user, organisation=org).role == Role.SIGNATORY
    assert Invitation.objects.get(organisation=org, email=COLLEAGUE).accepted_at is not None

    # the link is used up
    colleague.goto(invitation_link)
    assert colleague.get_by_text("bereits angenommen").is_visible()
    colleague_context.close()

    # 6. The admin sees the new member
    page.reload()
    assert page.locator(".member-person", has_text=COLLEAGUE).is_visible()
