"""The proof-of-use pages pass axe-core like the other applicant pages (serious/critical WCAG 2.1 A/AA, no CSP
error), also with errors shown, and reflow on a 320 px phone (the Belegliste turns into cards)."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from applications.models import Expense, Role
from applications.proof import services
from tests.applications.test_accessibility import axe_violations, check, csp_errors, describe, login  # noqa: F401
from tests.factories import OrganisationFactory, UserFactory, member
from tests.proof.conftest import add_lines, funded_app

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def proof_world(seeded):
    org = OrganisationFactory(name="Nachweis e. V.")
    owner = UserFactory(email="nachweis@test.wir", username="nachweis@test.wir")
    member(owner, org, Role.ADMIN)
    app = funded_app(org)
    items = add_lines(app, [("Honorare", "25000.00"), ("Sachkosten", "15000.00")])
    Expense.objects.bulk_create([Expense(application=app, cost_item=items[i % 2], paid_on=datetime.date(2027, 1, 2)
                                         + datetime.timedelta(days=i), payee=f"Empfängerin mit langem Namen {i}",
                                         purpose="Honorar für den Kurs „Deutsch im Alltag“", amount=Decimal("310.00"))
                                 for i in range(120)])
    proof = services.proofs_ensure(application=app)[-1]
    return {"owner": owner, "app": app, "proof": proof}


def test_proof_pages(page, live_server, require_browser, proof_world, csp_errors):  # noqa: F811
    base, app, proof = live_server.url, proof_world["app"], proof_world["proof"]
    login(page, base, proof_world["owner"].email)
    for path in [reverse("portal:proof", args=[app.pk]), reverse("portal:proof_expenses", args=[app.pk]),
                 reverse("portal:proof_expenses", args=[app.pk]) + "?seite=2",
                 reverse("portal:proof_report", args=[app.pk, proof.pk])]:
        check(page, base + path, csp_errors)
    # error state: a wrong amount, the message at the field
    page.goto(base + reverse("portal:proof_expenses", args=[app.pk]))
    page.get_by_label("Betrag in €").fill("12,345")
    page.get_by_role("button", name="Beleg speichern").click()
    page.wait_for_selector("[aria-invalid=true]")
    violations = axe_violations(page)
    assert not violations, describe(violations)


def test_belegliste_on_a_phone(page, live_server, require_browser, proof_world):
    base, app = live_server.url, proof_world["app"]
    login(page, base, proof_world["owner"].email)
    page.set_viewport_size({"width": 320, "height": 800})
    for path in [reverse("portal:proof_report", args=[app.pk, proof_world["proof"].pk]),
                 reverse("portal:proof", args=[app.pk]), reverse("portal:proof_expenses", args=[app.pk])]:
        page.goto(base + path)
        scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        wide = page.evaluate("""() => Array.from(document.querySelectorAll('body *'))
            .filter(e => e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0 && !e.closest('.table-responsive'))
            .slice(0, 5).map(e => e.tagName + '.' + e.className + ': ' + e.textContent.trim().slice(0, 40))""")
        assert scroll <= client, (path, scroll, client, wide)
    assert page.locator("li.card").first.is_visible()  # cards, not the table, on a phone
    assert not page.locator("table.table-striped").is_visible()
