"""No key page's number of SQL queries grows with the data: every page the benchmark measures is requested
before and after multiplying the data set; the count must not rise. Pages that do not exist yet are skipped
by the benchmark's discovery; every page it finds must answer 200 before and after."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wir_portal.bench.management.commands.benchmark import Discovery

pytestmark = pytest.mark.django_db


def _count(discovery: Discovery, page) -> tuple[int, int]:
    client = discovery.client(page.user)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(page.url)
        if getattr(response, "streaming", False):
            for _ in response.streaming_content:
                pass
    return response.status_code, len(ctx.captured_queries)


def test_query_counts_do_not_grow_with_data(seeded):
    call_command("seed_scale", applications=80, organisations=15, seed=21, owner_applications=20, verbosity=0,
                 stdout=io.StringIO())
    discovery = Discovery(io.StringIO())
    pages = [p for p in discovery.pages() if p.url]
    assert any(p.key == "bare" for p in pages)
    before, not_ok = {}, {}
    for page in pages:
        _count(discovery, page)  # warm caches (content types, permissions, legal texts ...)
        status, n = _count(discovery, page)
        if status != 200:  # a page answering 403, 404 or 500 is a failure, not a page to leave out
            not_ok[page.key] = (status, page.url)
        before[page.key] = n
    assert not not_ok, f"pages that did not answer 200 (status, url): {not_ok}"
    call_command("seed_scale", applications=320, organisations=30, seed=22, owner_applications=60, verbosity=0,
                 stdout=io.StringIO())
    grown = {}
    for page in pages:
        status, n = _count(discovery, page)
        assert status == 200, page.key
        if n > before[page.key]:
            grown[page.key] = (before[page.key], n, page.url)
    assert not grown, f"query count grew with the data (before, after, url): {grown}"


def test_every_key_page_was_measured(seeded):
    """Guard for the test above: it must really cover the portal's pages once they exist (not silently none)."""
    call_command("seed_scale", applications=40, organisations=8, seed=23, owner_applications=10, verbosity=0,
                 stdout=io.StringIO())
    discovery = Discovery(io.StringIO())
    found = {p.key for p in discovery.pages() if p.url}
    assert {"bare", "dashboard", "admin_changelist", "admin_change"} <= found
