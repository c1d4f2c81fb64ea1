"""Browser flow in the admin: Sachbearbeitung starts the review of a demo application and recommends it;
Bewilligung approves it; the budget overview shows the commitment. Set WIR_SHOT_DIR to keep screenshots."""

import os
import re

import pytest
from django.urls import reverse

from applications.demo import DEMO_PASSWORD
from applications.models import Application
from applications.workflow import Status
from funding.models import LedgerEntry
from funding.services import budget_figures
from tests.applications.accounts.mfa.browser import demo_device, second_factor
from wir_portal.money import format_eur

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page, name):
    folder = os.environ.get("WIR_SHOT_DIR")
    if folder:
        page.screenshot(path=os.path.join(folder, f"admin-{name}.png"), full_page=True)


def login(page, base, email):
    page.context.clear_cookies()
    page.goto(base + reverse("admin:login"))
    page.locator("input[name=username]").fill(email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("form input[type=submit], form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/login/" not in url)
    second_factor(page, demo_device(email))  # the demo staff's documented TOTP secret


def test_staff_process_a_demo_application_end_to_end(page, live_server, require_browser, demo):
    base = live_server.url
    app = Application.objects.get(title="[Demo] Willkommenslotsen im Landkreis Gießen 2027")
    assert app.status == Status.SUBMITTED
    committed_before = budget_figures(rule=app.rule).committed

    # Sachbearbeitung: find it in the work queue by file number, start the review, recommend.
    login(page, base, "sachbearbeitung@demo.wir")
    page.goto(base + reverse("admin:applications_application_changelist"))
    page.locator("#searchbar").fill(app.file_number)
    page.locator("#changelist-search input[type=submit]").click()
    shot(page, "1-queue")
    page.get_by_role("link", name=app.file_number).click()
    assert page.get_by_role("heading", name=f"Antrag {app.file_number}").is_visible()
    assert page.get_by_role("heading", name="Kosten- und Finanzierungsplan").is_visible()
    page.get_by_role("link", name="Prüfung beginnen").click()
    page.get_by_role("button", name="Prüfung beginnen").click()
    assert page.get_by_text("Die Prüfung wurde begonnen.").is_visible()
    page.get_by_role("link", name="Votum abgeben").click()
    page.get_by_label("Bewilligung in voller Höhe empfehlen").check()
    page.get_by_label("Begründung").fill("Stelle besetzt, Finanzierungsplan schlüssig.")
    shot(page, "2-recommend")
    page.get_by_role("button", name="Votum abgeben").click()
    assert page.get_by_text("Das Votum wurde gespeichert.").is_visible()
    assert page.get_by_role("link", name="Bewilligen", exact=True).count() == 0  # not hers to decide

    # Bewilligung: approve with the requested amount.
    login(page, base, "bewilligung@demo.wir")
    page.goto(base + reverse("admin:applications_application_change", args=[app.pk]))
    shot(page, "3-review")
    page.get_by_role("link", name="Bewilligen", exact=True).click()
    amount = page.get_by_label("Bewilligter Betrag")
    assert amount.input_value() == "50.000,00"
    page.get_by_role("button", name="Bewilligen").click()
    assert page.get_by_text(re.compile("Der Antrag wurde bewilligt")).is_visible()
    shot(page, "4-approved")
    assert page.locator(".wir-status").first.inner_text() == "Bewilligt"

    app.refresh_from_db()
    assert app.status == Status.APPROVED and app.approved_amount == app.requested_amount
    assert LedgerEntry.objects.get(application=app).amount == app.requested_amount
    assert app.recommended_by.username == "sachbearbeitung@demo.wir"
    assert app.decided_by.username == "bewilligung@demo.wir"

    page.goto(base + reverse("admin:funding_budget_overview") + "?jahr=2027")
    shot(page, "5-budget")
    assert page.get_by_role("heading", name=re.compile("Programmjahr 2027")).is_visible()
    # the line's row in 2027 shows the commitment: what was bound before plus this approval, from the ledger
    section = page.locator("section", has=page.get_by_role("heading", name=re.compile("Programmjahr 2027")))
    headers = [h.strip() for h in section.locator("thead th").all_text_contents()]
    row = section.locator("tbody tr", has=page.get_by_role("rowheader", name=app.rule.line.name, exact=True))
    cells = [c.strip() for c in row.locator("th, td").all_text_contents()]
    expected = format_eur(committed_before + app.requested_amount).replace("\u00a0", " ")
    assert cells[headers.index("Gebunden")].replace("\u00a0", " ") == expected, (headers, cells)
