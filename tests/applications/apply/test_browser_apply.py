"""Browser flow (issue 3), applying half: a Träger drafts a Lotsen application with a cost plan (live totals), hits
a validation error, fixes it without retyping anything, uploads the attachments, submits, and sees the status page.

Set WIR_SHOT_DIR to keep screenshots of each step.
"""

import os
import re

import pytest
from django.urls import reverse

from applications.demo import _DEMO_PDF
from applications.models import Application, Role
from applications.workflow import Status
from funding.models import OrganisationKind
from tests.applications.test_accessibility import axe_violations, describe
from tests.factories import PASSWORD, OrganisationFactory, UserFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page, name):
    folder = os.environ.get("WIR_SHOT_DIR")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def test_draft_fix_error_attach_submit(page, live_server, require_browser, seeded, tmp_path):
    base = live_server.url
    org = OrganisationFactory(name="Caritasverband Teststadt", kind=OrganisationKind.KIRCHLICHER_TRAEGER)
    user = UserFactory(username="theo@test.wir", email="theo@test.wir", first_name="Theo", last_name="Träger")
    member(user, org, Role.SIGNATORY)

    page.goto(base + reverse("login"))
    page.get_by_label("E-Mail-Adresse").fill("theo@test.wir")
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    # Dashboard: Lotsen is offered to a Träger, case management is not.
    page.goto(base + reverse("portal:dashboard"))
    shot(page, "1-dashboard")
    assert page.get_by_role("heading", name="Ehrenamtliche Integrationslotsen 2027").is_visible()
    assert page.get_by_text("WIR-Fallmanagement für Geflüchtete").count() == 0
    page.get_by_role("link", name=re.compile("Neuen Antrag stellen.*Ehrenamtliche Integrationslotsen")).click()

    # Draft with cost plan; totals update while typing.
    page.get_by_label("Titel des Vorhabens").fill("Lotsen Teststadt-Nord 2027")
    page.get_by_label("Zweck und Konzeption").fill("Zwei Lotsinnen begleiten Neuzugewanderte zu Ämtern.")
    page.get_by_label("Anzahl koordinierender Lotsinnen und Lotsen").fill("1")
    page.get_by_label("Anzahl weiterer Lotsinnen und Lotsen").fill("1")
    page.get_by_label("Geplante Einsatzstunden insgesamt").fill("700")  # more than 414 + 276
    page.get_by_label("Kostenart, Zeile 1, 2027").select_option("allowances")
    page.get_by_label("Bezeichnung, Zeile 1, 2027").fill("Aufwandsentschädigung 690 Std. × 5 €")
    page.get_by_label("Betrag in €, Zeile 1, 2027").fill("3.200,00")
    page.get_by_label("Kostenart, Zeile 2, 2027").select_option("qualification")
    page.get_by_label("Bezeichnung, Zeile 2, 2027").fill("Qualifizierung")
    page.get_by_label("Betrag in €, Zeile 2, 2027").fill("250")
    page.get_by_label("Eigenmittel").fill("250,00")
    page.get_by_label("Beantragte Zuwendung (WIR)").fill("3.200,00")
    block = page.locator("[data-plan-year='2027']")
    assert block.locator("tfoot [data-plan-total-cost]").inner_text() == "3.450,00\u00a0€"
    assert block.locator("[data-plan-difference]").get_attribute("data-plan-balanced") == "true"
    page.get_by_role("button", name="Speichern und weiter zu den Anlagen").click()

    # The rule error is shown at the field and in the summary; everything typed is still there.
    page.wait_for_url(re.compile(r".*/bearbeiten/\?pruefen=1$"))
    hours = page.get_by_label("Geplante Einsatzstunden insgesamt")
    assert hours.get_attribute("aria-invalid") == "true"
    assert page.get_by_text("Höchstens 690 Stunden sind förderfähig").first.is_visible()
    assert page.get_by_role("link", name=re.compile("Geplante Einsatzstunden insgesamt: Höchstens 690")).is_visible()
    shot(page, "2-form-error")
    violations = axe_violations(page)  # the error state is accessible too
    assert not violations, describe(violations)
    assert page.get_by_label("Titel des Vorhabens").input_value() == "Lotsen Teststadt-Nord 2027"
    assert page.get_by_label("Betrag in €, Zeile 2, 2027").input_value() == "250"
    assert page.get_by_label("Eigenmittel").input_value() == "250,00"
    hours.fill("690")
    page.get_by_role("button", name="Speichern und weiter zu den Anlagen").click()

    # Attachments: a renamed executable is refused, the real files are accepted.
    page.wait_for_url(re.compile(r".*/anlagen/$"))
    fake = tmp_path / "liste.pdf"
    fake.write_bytes(b"MZ\x90\x00" + b"\x00" * 100)
    page.get_by_label("Art der Anlage").select_option("participant_list")
    page.locator("#id_file").set_input_files(str(fake))
    page.get_by_role("button", name="Hochladen").click()
    assert page.get_by_text("Der Inhalt der Datei passt nicht zur Endung").first.is_visible()
    for kind, name in (("participant_list", "teilnehmende.pdf"), ("concept", "konzeption.pdf")):
        path = tmp_path / name
        path.write_bytes(_DEMO_PDF)
        page.get_by_label("Art der Anlage").select_option(kind)
        page.locator("#id_file").set_input_files(str(path))
        page.get_by_role("button", name="Hochladen").click()
        page.get_by_role("link", name=name).wait_for()

    # Submit.
    page.get_by_role("link", name="Weiter: Prüfen und einreichen").click()
    assert page.get_by_role("heading", name="Der Antrag ist vollständig.").is_visible()
    shot(page, "3-submit")
    # the declarations at submission (issue 12): project not started, VAT, other funding, correctness, e-delivery
    page.get_by_label("Mit dem Vorhaben wurde noch nicht begonnen", exact=False).check()
    page.get_by_label("Die Angaben in diesem Antrag", exact=False).check()
    page.get_by_label("Wir sind damit einverstanden", exact=False).check()
    page.get_by_label("Wir sind nicht zum Vorsteuerabzug berechtigt", exact=False).check()
    page.get_by_label("Für dasselbe Vorhaben wurden keine weiteren", exact=False).check()
    page.get_by_role("button", name="Antrag verbindlich einreichen").click()

    # Status page.
    page.get_by_role("heading", name="Verlauf").wait_for()
    app = Application.objects.get(organisation=org)
    assert app.status == Status.SUBMITTED and app.file_number == "WIR-2027-IL-0001"
    assert page.get_by_text("WIR-2027-IL-0001").first.is_visible()
    assert page.get_by_text("Antrag eingereicht", exact=True).is_visible()
    shot(page, "4-status")
    violations = axe_violations(page)
    assert not violations, describe(violations)
    assert app.requested_amount == 3200 and app.details["hours"] == 690


def test_cost_rows_added_in_the_browser_are_saved(page, live_server, require_browser, seeded):
    """With JavaScript, "Kostenzeile hinzufügen" adds formset rows without a round trip; they are counted in the
    live totals, keep their accessible labels and are saved with the draft."""
    org = OrganisationFactory(name="Verein Teststadt-Süd", kind=OrganisationKind.FREIER_TRAEGER)
    user = UserFactory(username="rosa@test.wir", email="rosa@test.wir")
    member(user, org, Role.MEMBER)
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("E-Mail-Adresse").fill("rosa@test.wir")
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(live_server.url + reverse("portal:application_new", args=["lotsen"]))

    page.get_by_label("Titel des Vorhabens").fill("Lotsen Süd 2027")
    assert page.get_by_label("Kostenart, Zeile 4, 2027").count() == 0  # a new form starts with three rows
    add = page.get_by_role("button", name="Kostenzeile hinzufügen (2027)")
    add.click()
    add.click()
    assert page.locator("#id_cost-2027-TOTAL_FORMS").input_value() == "5"
    assert page.evaluate("document.activeElement.id") == "id_cost-2027-4-category"  # focus moved to the new row
    page.get_by_label("Kostenart, Zeile 5, 2027").select_option("material")
    page.get_by_label("Bezeichnung, Zeile 5, 2027").fill("Fahrkarten")
    page.get_by_label("Betrag in €, Zeile 5, 2027").fill("1.234,50")
    block = page.locator("[data-plan-year='2027']")
    assert block.locator("tfoot [data-plan-total-cost]").inner_text() == "1.234,50\u00a0€"
    violations = axe_violations(page)
    assert not violations, describe(violations)

    page.get_by_role("button", name="Entwurf speichern").click()
    page.wait_for_url(re.compile(r".*/bearbeiten/"))
    app = Application.objects.get(organisation=org)
    assert [(c.description, c.amount) for c in app.cost_items.all()] == [("Fahrkarten", 1234.5)]
