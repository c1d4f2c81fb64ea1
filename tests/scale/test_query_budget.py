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


def test_every_discovered_page_answers_200_and_its_query_count_does_not_grow(seeded):
    """Every page the benchmark discovers — every admin changelist (default order, each sortable column, a filter,
    narrow and broad search, last page) and change page a staff role can reach, every applicant page — answers 200
    before and after the data grows, with no more queries. A page that fails is a failure here, never a skip."""
    from django.contrib import admin

    call_command("seed_scale", applications=80, organisations=15, seed=31, owner_applications=20, verbosity=0,
                 stdout=io.StringIO())
    discovery = Discovery(io.StringIO())
    pages = [p for p in discovery.pages() if p.url]
    admin_keys = {p.key for p in pages if p.key.startswith("admin:")}
    registered = {f"admin:{m._meta.app_label}.{m._meta.model_name}" for m in admin.site._registry}
    assert registered <= admin_keys, f"admin lists not discovered: {registered - admin_keys}"
    assert {k for k in admin_keys if k.endswith(":change")}, "no change page discovered"
    assert any(k.endswith(":search-broad") for k in admin_keys) and any(k.endswith(":last") for k in admin_keys)
    assert any(p.key.startswith("portal:") for p in pages), "no applicant page discovered"
    before, failed = {}, {}
    for page in pages:
        connection.queries_log.clear()
        _count(discovery, page)  # warm caches (content types, permissions, legal texts ...)
        connection.queries_log.clear()
        status, n = _count(discovery, page)
        if status != 200:
            failed[page.key] = (status, page.url)
        before[page.key] = n
    assert not failed, f"pages that do not answer 200: {failed}"
    call_command("seed_scale", applications=320, organisations=30, seed=32, owner_applications=60, verbosity=0,
                 stdout=io.StringIO())
    grown = {}
    for page in pages:
        connection.queries_log.clear()
        status, n = _count(discovery, page)
        if status != 200:
            failed[page.key] = (status, page.url)
        elif n > before[page.key]:
            grown[page.key] = (before[page.key], n, page.url)
    assert not failed, f"pages that do not answer 200 after the data grew: {failed}"
    assert not grown, f"query count grew with the data (before, after, url): {grown}"
