"""The admin speaks German: no English leftovers (raw field names such as "created by", untranslated event codes
such as "create", Django's hard-coded alt="Search") on any page a staff role reaches (same discovery as the
accessibility walk)."""

import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model

from tests.admin.test_admin_accessibility import ROLES, admin_pages, decision_pages

pytestmark = pytest.mark.django_db

ENGLISH = re.compile(
    r"\b(create|created|creates|updated|uploaded|invited|by|search|add|change|delete|save|history|filter|actions?|"
    r"show all|select|objects?|user|token|hash|none|unknown|true|false|yes|go|results?|total|view|home|log ?out)\b",
    re.IGNORECASE)


class _Visible(HTMLParser):
    """Visible text plus the alt/title/aria-label/placeholder/value of buttons (what people read or hear)."""

    def __init__(self):
        super().__init__()
        self.skip, self.parts = 0, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style", "template", "svg"):
            self.skip += 1
        for name in ("alt", "title", "aria-label", "placeholder"):
            if attrs.get(name):
                self.parts.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template", "svg") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.parts.append(data.strip())


def english_leftovers(html: str, allowed: set[str]) -> list[str]:
    parser = _Visible()
    parser.feed(html)
    found = []
    for part in parser.parts:
        if part in ("Filter",) or part.startswith(("{", "[")):  # German word too; stored JSON data
            continue
        for match in ENGLISH.finditer(part):
            if part not in allowed:
                found.append(f"{match.group(0)!r} in {part[:80]!r}")
    return found


def test_the_check_finds_english():
    assert english_leftovers('<th>created by</th><img alt="Search"><p>create</p>', set())
    assert not english_leftovers("<p>Erstellt von</p><p>Antrag angelegt</p>", set())


def test_no_english_on_admin_pages(client, demo):
    from applications.models import Application, Organisation

    # Data typed by people (names, titles, e-mail addresses) may be in any language: not checked.
    allowed = set(Organisation.objects.values_list("name", flat=True))
    allowed |= set(Application.objects.values_list("title", flat=True))
    allowed |= set(get_user_model().objects.values_list("email", flat=True))
    failures = []
    for email in ROLES:
        user = get_user_model().objects.get(username=email)
        client.force_login(user)
        for path in dict.fromkeys(admin_pages(user) + decision_pages(user)):
            response = client.get(path)
            assert response.status_code == 200, (email, path, response.status_code)
            failures += [f"{email} {path}: {f}" for f in english_leftovers(response.content.decode(), allowed)]
    assert not failures, "\n".join(sorted(set(failures)))
