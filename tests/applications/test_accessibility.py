"""Accessibility: axe-core (vendored, static/vendor/axe-core/axe.min.js) in Chromium on every applicant page.

Asserts no violation with impact "serious" or "critical" (WCAG 2.1 A/AA rules), and no Content-Security-Policy
violation in the console (the pages must work under the strict CSP). axe is loaded as a same-origin <script src>
so the CSP (script-src 'self') stays in force during the check.
"""

import json

import pytest
from django.urls import reverse

from applications import services
from applications.accounts.services import invitation_create
from applications.models import Role
from tests.factories import (
    DECLARATIONS,
    PASSWORD,
    OrganisationFactory,
    UserFactory,
    application,
    attach_required,
    member,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE_URL = "/static/vendor/axe-core/axe.min.js"
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
               "resultTypes": ["violations"]}


def axe_violations(page) -> list[dict]:
    page.add_script_tag(url=AXE_URL)
    page.wait_for_function("() => typeof window.axe !== 'undefined'")
    result = page.evaluate("async (options) => (await axe.run(document, options)).violations", AXE_OPTIONS)
    return [v for v in result if v.get("impact") in ("serious", "critical")]


def describe(violations) -> str:
    return json.dumps([{"id": v["id"], "impact": v["impact"], "help": v["help"],
                        "nodes": [n["target"] for n in v["nodes"]][:5]} for v in violations], indent=1,
                      ensure_ascii=False)


@pytest.fixture
def csp_errors(page):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text else None)
    return errors


@pytest.fixture
def applicant_world(seeded):
    org = OrganisationFactory(name="Barrierefrei e. V.")
    owner = UserFactory(email="a11y@test.wir", username="a11y@test.wir", first_name="Alex", last_name="Zugang")
    member(owner, org, Role.ADMIN)
    colleague = UserFactory(email="kollegin@test.wir", username="kollegin@test.wir")
    member(colleague, org, Role.MEMBER)
    draft = application(organisation=org, code="lotsen", user=owner, title="Lotsen im Quartier",
                        grant="15000.00", costs="16000.00")
    submitted = application(organisation=org, code="integrationsprojekte", user=owner, title="Projekt Vielfalt")
    attach_required(submitted, owner)
    services.application_submit(application=submitted, user=owner, declarations=DECLARATIONS)
    _invitation, token = invitation_create(organisation=org, email="neu@test.wir", role=Role.MEMBER, user=owner)
    return {"org": org, "owner": owner, "draft": draft, "submitted": submitted, "invitation_token": token}


def login(page, base, email, password=PASSWORD):
    page.goto(base + reverse("login"))
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort", exact=True).fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def check(page, url, csp_errors):
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url}: {response and response.status}"
    violations = axe_violations(page)
    assert not violations, f"{url}:\n{describe(violations)}"
    assert not csp_errors, f"{url}: CSP violations {csp_errors}"


def test_public_pages(page, live_server, require_browser, applicant_world, csp_errors):
    base = live_server.url
    paths = [
        reverse("login"), reverse("password_reset"), reverse("portal:register"), reverse("portal:register-resend"),
        reverse("portal:invitation-accept", kwargs={"token": applicant_world["invitation_token"]}),
        reverse("pages:impressum"), reverse("pages:datenschutz"), reverse("pages:barrierefreiheit"),
        reverse("pages:leichte-sprache"),
    ]
    for path in paths:
        check(page, base + path, csp_errors)


def test_forms_with_errors_are_accessible(page, live_server, require_browser, applicant_world, csp_errors):
    """Error states: messages tied to the fields, the summary announced, still no serious violation."""
    base = live_server.url
    page.goto(base + reverse("portal:register"))
    page.get_by_role("button", name="Registrieren").click()
    page.wait_for_selector(".invalid-feedback, #formular-fehler")
    assert page.locator("[aria-invalid=true]").count() > 5
    violations = axe_violations(page)
    assert not violations, describe(violations)

    page.goto(base + reverse("login"))
    page.get_by_label("E-Mail-Adresse").fill("a11y@test.wir")
    page.get_by_label("Passwort", exact=True).fill("falsch")
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_selector("[role=alert]")
    violations = axe_violations(page)
    assert not violations, describe(violations)
    assert not csp_errors, csp_errors


def test_applicant_pages(page, live_server, require_browser, applicant_world, csp_errors):
    base = live_server.url
    w = applicant_world
    login(page, base, w["owner"].email)
    draft, submitted = w["draft"].pk, w["submitted"].pk
    paths = [
        reverse("portal:dashboard"),
        reverse("portal:application_new", kwargs={"code": "lotsen"}),
        reverse("portal:application_edit", kwargs={"pk": draft}),
        reverse("portal:application_attachments", kwargs={"pk": draft}),
        reverse("portal:application_submit", kwargs={"pk": draft}),
        reverse("portal:application_detail", kwargs={"pk": submitted}),
        reverse("portal:application_withdraw", kwargs={"pk": submitted}),
        reverse("portal:members", kwargs={"org_id": w["org"].pk}),
        reverse("password_change"),
    ]
    for path in paths:
        check(page, base + path, csp_errors)


def test_organisation_switcher_is_accessible(page, live_server, require_browser, applicant_world, csp_errors):
    second = OrganisationFactory(name="Zweiter Verein e. V.", verified_at=None)
    member(applicant_world["owner"], second, Role.MEMBER)
    base = live_server.url
    login(page, base, applicant_world["owner"].email)
    check(page, base + reverse("password_change"), csp_errors)
    page.get_by_label("Organisation").select_option(label="Zweiter Verein e. V.")
    page.get_by_role("button", name="Wechseln").click()
    page.get_by_text("Sie arbeiten jetzt für „Zweiter Verein e. V.“").wait_for()
    assert page.get_by_text("ist noch nicht geprüft").is_visible()  # the unverified notice
    violations = axe_violations(page)
    assert not violations, describe(violations)


def test_the_check_itself_finds_violations(page, live_server, require_browser, db, csp_errors):
    """Guard against a silently passing harness: a broken image and an unlabelled input must be reported, and
    an inline script must show up as a CSP violation."""
    page.goto(live_server.url + reverse("login"))
    page.evaluate("""() => {
        const img = document.createElement('img'); img.src = '/static/none.png'; document.body.appendChild(img);
        const input = document.createElement('input'); input.type = 'text'; document.body.appendChild(input);
        const s = document.createElement('script'); s.textContent = 'window.x = 1'; document.body.appendChild(s);
    }""")
    ids = {v["id"] for v in axe_violations(page)}
    assert {"image-alt", "label"} <= ids, ids
    page.wait_for_timeout(100)
    assert csp_errors, "inline script was not reported as a CSP violation"


def test_applicant_pages_reflow_on_a_phone(page, live_server, require_browser, applicant_world):
    """WCAG 1.4.10 (Reflow): at 320 CSS pixels no page scrolls sideways; wide tables scroll inside their own box
    (visually hidden text in them must not widen the page)."""
    base = live_server.url
    w = applicant_world
    login(page, base, w["owner"].email)
    page.set_viewport_size({"width": 320, "height": 800})
    for path in [reverse("portal:dashboard"), reverse("portal:application_edit", kwargs={"pk": w["draft"].pk}),
                 reverse("portal:application_detail", kwargs={"pk": w["submitted"].pk}),
                 reverse("portal:members", kwargs={"org_id": w["org"].pk})]:
        page.goto(base + path)
        scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        wide = page.evaluate("""(w) => Array.from(document.querySelectorAll('body *'))
            .filter(e => e.getBoundingClientRect().right > w + 1 && !e.closest('.table-responsive'))
            .slice(0, 5).map(e => e.tagName + '.' + e.className)""", client)
        assert scroll <= client, (path, scroll, client, wide)


COST_TABLE_CHECK = """() => {
    const vw = document.documentElement.clientWidth;
    const canvas = document.createElement('canvas').getContext('2d');
    const problems = [];
    const rows = Array.from(document.querySelectorAll('table.plan-table tr[data-plan-row]'));
    for (const row of rows) {
        const box = row.closest('.table-responsive') || document.body;
        const outer = box.getBoundingClientRect();
        for (const el of row.querySelectorAll('select, input:not([type=hidden])')) {
            const r = el.getBoundingClientRect();
            const name = el.name || el.id;
            if (r.width === 0 || r.height === 0) { problems.push(name + ': not rendered'); continue; }
            // inside the viewport and inside its scroll box, i.e. visible without scrolling sideways
            if (r.left < 0 || r.right > vw + 0.5) problems.push(`${name}: outside the viewport ${r.left}-${r.right} (${vw})`);
            if (r.left < outer.left - 0.5 || r.right > outer.right + 0.5)
                problems.push(`${name}: clipped by its scroll box ${r.left}-${r.right} (${outer.left}-${outer.right})`);
            if (el.type === 'checkbox') continue;
            const style = getComputedStyle(el);
            canvas.font = style.font;
            const text = el.tagName === 'SELECT'
                ? Array.from(el.options).reduce((w, o) => Math.max(w, canvas.measureText(o.text).width), 0)
                : canvas.measureText(el.value || el.getAttribute('placeholder') || '').width;
            const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
            // selects: every option readable; amounts: the typed amount; descriptions at least 12 characters wide
            const needed = el.name.endsWith('-description') ? canvas.measureText('Honorarkraft').width : text;
            if (needed > room + 0.5) problems.push(`${name}: ${Math.round(needed)} px of text in ${Math.round(room)} px`);
        }
    }
    const scrollers = Array.from(document.querySelectorAll('.table-responsive')).filter(
        s => s.querySelector('table.plan-table') && s.scrollWidth > s.clientWidth + 1);
    if (scrollers.length) problems.push('the cost table scrolls sideways');
    return {rows: rows.length, problems};
}"""


def test_cost_table_is_readable_on_a_375px_phone(page, live_server, require_browser, applicant_world):
    """On a 375 px phone every cost row's select, amount and remove box lies inside the viewport and its scroll
    box (nothing clipped, no sideways scrolling), every option of the select and the amount fit their field."""
    base = live_server.url
    w = applicant_world
    login(page, base, w["owner"].email)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(base + reverse("portal:application_edit", kwargs={"pk": w["draft"].pk}))
    page.locator("select[name$='-category']").first.select_option(index=1)
    page.locator("input[name$='-amount']").first.fill("1.234.567,89")
    result = page.evaluate(COST_TABLE_CHECK)
    assert result["rows"] >= 2, result
    assert not result["problems"], result["problems"]
    violations = axe_violations(page)
    assert not violations, describe(violations)


def test_cost_table_check_finds_clipping(page, live_server, require_browser, applicant_world):
    """The check itself: a squeezed select and an amount pushed out of its box are reported."""
    base = live_server.url
    login(page, base, applicant_world["owner"].email)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(base + reverse("portal:application_edit", kwargs={"pk": applicant_world["draft"].pk}))
    page.evaluate("""() => {
        const s = document.querySelector("select[name$='-category']"); s.style.width = '40px';
        const a = document.querySelector("input[name$='-amount']"); a.style.marginLeft = '600px';
    }""")
    problems = " ".join(page.evaluate(COST_TABLE_CHECK)["problems"])
    assert "category" in problems and "amount" in problems, problems
