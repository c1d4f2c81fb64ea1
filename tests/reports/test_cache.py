"""Cached report figures (funding.figures_cache) are never stale: a booking, a decision, an edited allocation or an
organisation moved to another region shows at once, and the pages are the same with and without the cache.

Transactional tests, so transaction.on_commit runs as in production; the cache is emptied around each test."""

import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from applications import services
from applications.models import Application
from applications.workflow import Status
from funding.models import LineRule
from funding.services import budget_pay, rule_save
from reports.selectors import ReportFilters, ledger_committed_total, programme_overview
from tests.factories import staff

pytestmark = pytest.mark.django_db(transaction=True)
D = Decimal
PAGES = ["/berichte/?jahr=2027", "/berichte/", "/berichte/?jahr=2027&rb=Gie%C3%9Fen", "/berichte/?jahr=2027&art=x",
         "/berichte/verlauf/", "/berichte/regionen/?jahr=2027", "/berichte/pdf/"]


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _page(html: str) -> str:
    """The page without its CSRF tokens (new with every response)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def _get(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode(), len(ctx)


def _keyfigure(html: str, label: str) -> str:
    match = re.search(rf"<dt>{label}</dt><dd>(?:<a [^>]*>)?([^<]+)", html)
    assert match, label
    return match.group(1)


def test_report_is_cached_and_a_booking_and_a_decision_show_at_once(client, figures, report_user):
    client.force_login(report_user)
    url = "/berichte/?jahr=2027"
    html, miss = _get(client, url)
    assert _keyfigure(html, "Gebunden") == "90.100,00 €" and _keyfigure(html, "Ausgezahlt") == "20.000,00 €"
    html, hit = _get(client, url)
    assert hit <= miss - 9  # choices (3), overview (6) from the cache
    assert _keyfigure(html, "Gebunden") == "90.100,00 €"

    budget_pay(rule=figures["a1"].rule, application=figures["a1"], amount=D("5000.00"), user=None)
    html, _ = _get(client, url)
    assert _keyfigure(html, "Ausgezahlt") == "25.000,00 €"

    a5 = figures["a5"]
    Application.objects.filter(pk=a5.pk).update(status=Status.RECOMMENDED)  # (no signal: the decision must do)
    a5.refresh_from_db()
    services.application_decide(application=a5, user=staff("Bewilligung"), action="approve")
    html, _ = _get(client, url)
    assert _keyfigure(html, "Gebunden") == "140.100,00 €"
    assert ledger_committed_total(ReportFilters(year=2027)) == D("140100.00")
    assert programme_overview(ReportFilters(year=2027)).total.approved == 4


def test_an_edited_allocation_and_a_moved_organisation_show_at_once(client, figures, report_user):
    client.force_login(report_user)
    html, _ = _get(client, "/berichte/?jahr=2027")
    r = LineRule.objects.get(pk=figures["a4"].rule_id)
    r.allocation += D("1000.00")
    rule_save(rule=r)
    html2, _ = _get(client, "/berichte/?jahr=2027")
    assert html2 != html and _keyfigure(html2, "Mittelansätze der Förderbereiche") != _keyfigure(
        html, "Mittelansätze der Förderbereiche")

    url = "/berichte/?jahr=2027&rb=Kassel"
    html, _ = _get(client, url)
    assert _keyfigure(html, "Gebunden") == "0,00 €"
    org = figures["a1"].organisation  # Landkreis Gießen, 50,000 committed
    org.regierungsbezirk = "Kassel"
    org.save()
    html, _ = _get(client, url)
    assert _keyfigure(html, "Gebunden") == "50.000,00 €"


def test_pages_identical_with_and_without_cache(client, figures, report_user):
    client.force_login(report_user)
    for url in PAGES:
        computed, _ = _get(client, url)  # miss: computed and stored
        cached, _ = _get(client, url)  # hit
        with transaction.atomic():  # inside a transaction the cache is bypassed
            fresh, _ = _get(client, url)
        assert _page(computed) == _page(cached) == _page(fresh), url


def test_committed_sum_of_the_cached_report_equals_the_ledger(client, figures, report_user):
    client.force_login(report_user)
    for _ in range(2):  # miss, then hit
        html, _ = _get(client, "/berichte/?jahr=2027")
        assert _keyfigure(html, "Gebunden") == "90.100,00 €"
    assert ledger_committed_total(ReportFilters(year=2027)) == D("90100.00")
