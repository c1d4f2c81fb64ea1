"""Impressum, Datenschutz, Barrierefreiheit and the Leichte-Sprache text: finished, without placeholders, with the
details Hessen's rules require (§ 5 DDG, Art. 13 GDPR, HVBIT: feedback contact and enforcement procedure)."""

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGES = ["pages:impressum", "pages:datenschutz", "pages:barrierefreiheit", "pages:leichte-sprache", "login"]
# Placeholder marks: brackets, TODO/XXX, "Platzhalter", "folgt" as a word ("Weitere Angaben folgt/folgen"),
# and the old "zu bestätigen" notes.
PLACEHOLDER = re.compile(r"\[|\]|\bTODO\b|\bXXX\b|Platzhalter|\bfolg(t|en)\b|zu bestätigen|\.\.\.|…", re.IGNORECASE)


class _Text(HTMLParser):
    """The visible text of <main> (scripts and styles excluded)."""

    def __init__(self):
        super().__init__()
        self.depth, self.skip, self.parts = 0, 0, []

    def handle_starttag(self, tag, attrs):
        if tag == "main" or self.depth:
            self.depth += tag not in {"br", "img", "input", "meta", "link", "hr"}
        self.skip += tag in {"script", "style"}

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1
        self.skip -= tag in {"script", "style"}

    def handle_data(self, data):
        if self.depth and not self.skip:
            self.parts.append(data)


def main_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


@pytest.mark.parametrize("name", PAGES)
def test_no_placeholder_remains(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    text = main_text(html)
    assert len(text) > 400, text
    found = PLACEHOLDER.search(text)
    assert found is None, f"{name}: placeholder {found.group(0)!r} in …{text[max(0, found.start() - 60):found.end() + 60]}…"
    assert "placeholder" not in html


def test_the_check_finds_a_placeholder():
    assert PLACEHOLDER.search(main_text("<main><p>E-Mail: [vom Ministerium zu bestätigen]</p></main>"))
    assert PLACEHOLDER.search(main_text("<main><p>Weitere Angaben folgen.</p></main>"))
    assert not PLACEHOLDER.search(main_text("<main><p>Die Auszahlung erfolgt auf Anforderung.</p></main>"))
    assert main_text("<p>[outside]</p><main><p>inside</p><script>var a = [1];</script></main>") == "inside"


def test_impressum_names_the_regierungspraesidium_with_address_phone_and_mail(client):
    text = main_text(client.get(reverse("pages:impressum")).content.decode())
    for part in ("Regierungspräsidium Darmstadt", "Luisenplatz 2", "64283 Darmstadt", "06151 12-0",
                 "poststelle@rpda.hessen.de", "vertreten durch", "Dezernat II 25"):
        assert part in text, part


def test_accessibility_statement_has_feedback_contact_and_enforcement_procedure(client):
    text = main_text(client.get(reverse("pages:barrierefreiheit")).content.decode())
    for part in ("HVBIT", "Feedback-Mechanismus", "06151 12-0", "poststelle@rpda.hessen.de",
                 "Durchsetzungsverfahren", "Durchsetzungs- und Überwachungsstelle für barrierefreie IT",
                 "§ 6 HVBIT", "sechs Wochen", "29.11.2026"):
        assert part in text, part


def test_privacy_notice_names_controller_purpose_retention_and_rights(client):
    text = main_text(client.get(reverse("pages:datenschutz")).content.decode())
    for part in ("Regierungspräsidium Darmstadt", "Datenschutzbeauftragte", "Art. 6 Abs. 1 Buchst. e DSGVO",
                 "fünf Jahre", "Bankverbindung", "Art. 77 DSGVO", "30 Tagen"):
        assert part in text, part


def test_start_page_explains_the_portal_in_leichte_sprache(client):
    """The start page for visitors ('/' leads to the login) carries the short Leichte-Sprache text (HVBIT)."""
    response = client.get("/", follow=True)
    assert response.redirect_chain and reverse("login") in response.redirect_chain[-1][0]
    html = response.content.decode()
    assert 'id="leichte-sprache"' in html
    text = main_text(html)
    assert "Das WIR-Portal in Leichter Sprache" in text and "Nur Organisationen können Geld beantragen." in text
