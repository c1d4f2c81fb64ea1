"""Fixtures of the issue-12 tests (lines by year, Weiterleitung, extension, early-start refusal)."""

import pytest

from tests.factories import staff


@pytest.fixture
def people(seeded):
    return {
        "review": staff("Sachbearbeitung", first_name="Sara", last_name="Sachbearbeiterin"),
        "decide": staff("Bewilligung", first_name="Berta", last_name="Bewilligerin"),
    }
