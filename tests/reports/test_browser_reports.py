"""The report pages in Chromium: no CSP violation, no serious axe finding, the PDF flow with visible progress."""

import pytest
from django.urls import reverse

from applications.accounts.mfa.testing import device_for_tests
from reports.models import ReportJob
from tests.applications.accounts.mfa.browser import second_factor
from tests.applications.test_accessibility import axe_violations, describe
from tests.factories import PASSWORD, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def csp_errors(page):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text else None)
    return errors


def _login(page, base, user):
    device = device_for_tests(user)
    page.goto(base + reverse("login"))
    page.get_by_label("E-Mail-Adresse").fill(user.email)
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    second_factor(page, device)


def test_report_pages_accessible_and_pdf_flow(require_browser, live_server, page, csp_errors, figures):
    user = staff("Haushalt")
    _login(page, live_server.url, user)
    page.goto(live_server.url + "/portal/")
    page.get_by_role("link", name="Berichte").click()
    page.get_by_label("Programmjahr").select_option("2027")
    page.get_by_role("button", name="Anzeigen").click()
    assert page.get_by_text("90.100,00 €").first.is_visible()
    assert page.locator("svg[role=img] title").first.text_content() == "Mittel je Förderbereich 2027"
    for path in ["/berichte/?jahr=2027", "/berichte/verlauf/", "/berichte/regionen/?jahr=2027", "/berichte/pdf/"]:
        page.goto(live_server.url + path)
        violations = axe_violations(page)
        assert not violations, f"{path}: {describe(violations)}"
    page.goto(live_server.url + "/berichte/?jahr=2027")
    page.get_by_role("button", name="PDF-Bericht erstellen").click()
    page.get_by_role("link", name="PDF herunterladen").wait_for()
    job = ReportJob.objects.get()
    assert job.status == "done" and page.url.endswith(f"/berichte/pdf/{job.pk}/")
    with page.expect_download() as download:
        page.get_by_role("link", name="PDF herunterladen").click()
    assert download.value.suggested_filename == "WIR-Programmbericht-2027.pdf"
    assert not csp_errors


def test_progress_updates_without_reload(require_browser, live_server, page, csp_errors, seeded):
    user = staff("Haushalt")
    job = ReportJob.objects.create(year_from=2027, year_to=2027, created_by=user, status="running", progress=30)
    _login(page, live_server.url, user)
    page.goto(live_server.url + f"/berichte/pdf/{job.pk}/")
    assert page.locator("[data-job-percent]").inner_text() == "30 %"
    ReportJob.objects.filter(pk=job.pk).update(progress=70, message="Programmjahr 2027 berechnet")
    page.locator("[data-job-percent]", has_text="70 %").wait_for(timeout=10000)
    assert page.get_by_text("Programmjahr 2027 berechnet").is_visible()
    ReportJob.objects.filter(pk=job.pk).update(status="done", progress=100, file="reports/x.pdf")
    page.locator("[data-job-download]:not([hidden])").wait_for(timeout=10000)
    assert page.get_by_text("Der Bericht ist fertig").is_visible()
    assert not csp_errors
