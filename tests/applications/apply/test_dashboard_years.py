"""The dashboard lists the current and open programme years application by application and summarises older years
(counts and sums from the database), each linked to that year's full list; its query count stays fixed."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.workflow import Status
from tests.factories import application

from .conftest import YEAR

OLD = 2019


@pytest.fixture
def history(entity):
    """Two old years with mixed outcomes and one application of the open year."""
    apps = {
        # historic lines in the years they existed (Fallmanagement 2017–2020, Koordination 2014–2020)
        "old_approved": application(organisation=entity, code="fallmanagement", year=OLD, status=Status.APPROVED,
                                    title="Alt bewilligt",
                                    approved_amount=Decimal("40000.00"), file_number=f"WIR-{OLD}-FM-0001"),
        "old_rejected": application(organisation=entity, year=OLD, code="koordination", status=Status.REJECTED,
                                    title="Alt abgelehnt", grant="30000.00", costs="40000.00"),
        "older": application(organisation=entity, code="fallmanagement", year=OLD - 1, status=Status.WITHDRAWN,
                             title="Ganz alt"),
        "current": application(organisation=entity, year=YEAR, title="Aktueller Entwurf"),
    }
    return apps


def test_old_years_are_summarised_and_linked(client, owner, history):
    assert OLD < timezone.localdate().year  # the premise: 2019 is no longer a current year
    client.force_login(owner)
    response = client.get(reverse("portal:dashboard"))
    page = response.content.decode()
    assert YEAR in response.context["years"] and OLD not in response.context["years"]
    assert "Aktueller Entwurf" in page and "Alt bewilligt" not in page and "Ganz alt" not in page
    rows = {row["year"]: row for row in response.context["older"]}
    assert list(rows) == [OLD, OLD - 1]  # newest first
    assert (rows[OLD]["count"], rows[OLD]["funded"], rows[OLD]["pending"]) == (2, 1, 0)
    assert rows[OLD]["requested"] == Decimal("80000.00")  # 50,000 + 30,000 requested
    assert rows[OLD]["approved"] == Decimal("40000.00")  # only funded applications count as approved
    assert (rows[OLD - 1]["count"], rows[OLD - 1]["approved"]) == (1, None)
    assert f'href="{reverse("portal:dashboard")}?jahr={OLD}"' in page
    assert "40.000,00 €" in page and "80.000,00 €" in page


def test_one_year_lists_all_its_applications(client, owner, history):
    client.force_login(owner)
    response = client.get(reverse("portal:dashboard"), {"jahr": OLD})
    page = response.content.decode()
    assert response.status_code == 200 and response.context["single_year"] == OLD
    assert "Alt bewilligt" in page and "Alt abgelehnt" in page
    assert "Aktueller Entwurf" not in page and "Ganz alt" not in page
    assert f"Anträge im Programmjahr {OLD}" in page and "Jetzt beantragen" not in page
    assert reverse("portal:application_detail", args=[history["old_approved"].pk]) in page


def test_year_without_applications_and_nonsense_year(client, owner, history):
    client.force_login(owner)
    empty = client.get(reverse("portal:dashboard"), {"jahr": 2001}).content.decode()
    assert "im Programmjahr 2001 keine Anträge gestellt" in empty
    for nonsense in ("zwanzig", "1" + "0" * 30, "-2019", "2019.0"):
        response = client.get(reverse("portal:dashboard"), {"jahr": nonsense})
        assert response.status_code == 200 and response.context["single_year"] is None  # falls back to the overview


def test_another_organisations_year_stays_invisible(client, outsider, history):
    client.force_login(outsider)
    page = client.get(reverse("portal:dashboard"), {"jahr": OLD}).content.decode()
    assert "Alt bewilligt" not in page and "Alt abgelehnt" not in page


def test_old_change_request_still_needs_attention(client, owner, entity, history):
    stale = application(organisation=entity, year=OLD, code="lotsen", status=Status.CHANGES_REQUESTED,
                        title="Alte Nachforderung")
    client.force_login(owner)
    response = client.get(reverse("portal:dashboard"))
    attention = response.context["attention"]
    assert attention[0]["kind"] == "changes" and attention[0]["application"] == stale
    assert reverse("portal:application_edit", args=[stale.pk]) in response.content.decode()
    assert {row["year"]: row["pending"] for row in response.context["older"]}[OLD] == 1


def _count(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


def test_query_counts_do_not_grow_with_years(client, owner, entity, history):
    client.force_login(owner)
    url = reverse("portal:dashboard")
    before = (_count(client, url), _count(client, url, {"jahr": OLD}))
    for year in range(2020, 2023):
        for code in ("projekte", "lotsen"):
            application(organisation=entity, code=code, year=year, status=Status.APPROVED,
                        approved_amount=Decimal("1000.00"))
    for code in ("koordination", "lotsen"):
        application(organisation=entity, code=code, year=OLD, status=Status.SUBMITTED,
                    submitted_at=datetime.datetime(OLD, 3, 1, tzinfo=datetime.UTC))
    after = (_count(client, url), _count(client, url, {"jahr": OLD}))
    assert before == after, (before, after)
    assert max(after) <= 7
