"""The figures cache (funding.figures_cache): the budget overview is cached under a version that rises after every
commit that changes its figures, so a booking or an edited allocation shows at once; CACHE_URL selects the backend.

Transactional tests (real commits, so transaction.on_commit runs as in production); the cache is emptied around
each test (LocMemCache, per process: xdist workers do not share it)."""

import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from funding import figures_cache
from funding.figures_cache import FiguresCache, figures_changed, figures_version, figures_version_bump
from funding.models import FiguresVersion, LedgerEntry
from funding.services import budget_commit, rule_save
from tests.factories import OrganisationFactory, application, rule, staff

D = Decimal
URL = "/admin/funding/programmeyear/haushalt/"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _value() -> int:
    return FiguresVersion.objects.get(pk=1).value


def _get(client, url, **params):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode(), len(ctx)


def _page(html: str) -> str:
    """The page without its CSRF tokens (new with every response)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


@pytest.mark.django_db(transaction=True)
def test_budget_overview_is_cached_and_a_booking_shows_at_once(seeded):
    c = Client()
    c.force_login(staff("Haushalt"))
    r = rule("integrationsprojekte", 2027)
    html, first = _get(c, URL, jahr="2027")
    assert "Programmjahr 2027" in html
    html, cached = _get(c, URL, jahr="2027")
    assert cached < first  # years, rules, ledger aggregate and years of the filter came from the cache

    app = application(organisation=OrganisationFactory(kind="landkreis"))
    budget_commit(rule=r, application=app, amount=D("12345.67"), user=None)
    html, _ = _get(c, URL, jahr="2027")
    assert "12.345,67 €" in html

    r.allocation = D("600000.00")
    rule_save(rule=r)
    html, _ = _get(c, URL, jahr="2027")
    assert "600.000,00 €" in html


@pytest.mark.django_db(transaction=True)
def test_budget_overview_identical_with_and_without_cache(seeded):
    c = Client()
    c.force_login(staff("Haushalt"))
    app = application(organisation=OrganisationFactory(kind="landkreis"))
    budget_commit(rule=rule("integrationsprojekte", 2027), application=app, amount=D("50000.00"), user=None)
    for params in ({}, {"jahr": "2027"}, {"jahr": "1999"}, {"jahr": "x"}):
        computed, _ = _get(c, URL, **params)  # miss: computed and stored
        cached, _ = _get(c, URL, **params)  # hit
        with transaction.atomic():  # inside a transaction the cache is bypassed
            fresh, _ = _get(c, URL, **params)
        assert _page(computed) == _page(cached) == _page(fresh), params
    assert "50.000,00 €" in fresh


@pytest.mark.django_db(transaction=True)
def test_version_rises_once_per_commit_and_not_on_rollback(seeded):
    before = _value()
    with transaction.atomic():
        app = application(organisation=OrganisationFactory(kind="landkreis"))  # several watched saves
        budget_commit(rule=rule("integrationsprojekte", 2027), application=app, amount=D("10.00"), user=None)
        assert _value() == before  # not before the commit
    assert _value() == before + 1

    with pytest.raises(RuntimeError), transaction.atomic():
        LedgerEntry.objects.create(rule=rule("integrationsprojekte", 2027), application=app, kind="payment",
                                   amount=D("1.00"))
        raise RuntimeError
    assert _value() == before + 1


@pytest.mark.django_db(transaction=True)
def test_a_change_after_a_rolled_back_savepoint_still_raises_the_version(seeded):
    before = _value()
    with transaction.atomic():
        try:
            with transaction.atomic():
                figures_changed()
                raise RuntimeError
        except RuntimeError:
            pass
        figures_changed()  # the first bump was discarded with its savepoint: this one must be registered
        figures_changed()  # ... and this one is covered by it
    assert _value() == before + 1


@pytest.mark.django_db(transaction=True)
def test_no_cache_inside_a_transaction_and_without_counter_row(seeded):
    with transaction.atomic():
        assert not FiguresCache.current("t", sources=()).enabled
    assert FiguresCache.current("t", sources=()).enabled
    epoch = FiguresVersion.objects.get(pk=1).epoch
    FiguresVersion.objects.all().delete()
    assert figures_version() is None  # nothing is cached on this request ...
    row = FiguresVersion.objects.get(pk=1)  # ... and the row is back, counting from 0 in a new epoch
    assert row.value == 0 and row.epoch != epoch
    figures_version_bump()
    assert _value() == 1


@pytest.mark.django_db(transaction=True)
def test_bulk_inserts_without_signals_change_the_version(seeded):
    app = application(organisation=OrganisationFactory(kind="landkreis"))
    before = figures_version()
    LedgerEntry.objects.bulk_create([LedgerEntry(rule=rule("integrationsprojekte", 2027), application=app,
                                                 kind="commitment", amount=D("5.00"))])  # sends no signal
    assert figures_version() != before


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_cache_costs_speed_not_the_page(seeded):
    c = Client()
    c.force_login(staff("Haushalt"))
    with mock.patch.object(figures_cache.cache, "get", side_effect=ConnectionError("down")), \
         mock.patch.object(figures_cache.cache, "set", side_effect=ConnectionError("down")):
        html, _ = _get(c, URL, jahr="2027")
    assert "Programmjahr 2027" in html


@pytest.mark.django_db(transaction=True)
def test_budget_overview_query_count_on_a_miss_and_on_a_hit(seeded):
    """Miss: session, user, memberships, 2 × permissions, the version, then years, rules, ledger aggregate and the
    years of the filter. Hit: the version only."""
    c = Client()
    c.force_login(staff("Haushalt"))
    _, miss = _get(c, reverse("admin:funding_budget_overview"))
    _, hit = _get(c, reverse("admin:funding_budget_overview"))
    assert miss - hit == 4, (miss, hit)


# --- Settings: CACHE_URL ------------------------------------------------------------------------------------------

PROBE = ("import django, json; from django.conf import settings; django.setup(); "
         "print(json.dumps({**settings.CACHES['default'], 'SESSION_ENGINE': settings.SESSION_ENGINE}))")


def _caches(tmp_path, **env_extra):
    env = {k: v for k, v in os.environ.items() if k not in {"CACHE_URL", "DATABASE_URL", "WIR_PRODUCTION"}}
    env.update({"DJANGO_SETTINGS_MODULE": "wir_portal.settings", "WIR_VAR_DIR": str(tmp_path), **env_extra})
    return subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True)


def test_cache_url_selects_redis_and_locmem_is_the_default(tmp_path):
    result = _caches(tmp_path)
    assert result.returncode == 0, result.stderr
    cfg = json.loads(result.stdout)
    assert cfg["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert cfg["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"  # a per-process cache must not hold sessions
    result = _caches(tmp_path, CACHE_URL="redis://127.0.0.1:6379/1")
    assert result.returncode == 0, result.stderr
    cfg = json.loads(result.stdout)
    assert (cfg["BACKEND"], cfg["LOCATION"]) == ("django.core.cache.backends.redis.RedisCache", "redis://127.0.0.1:6379/1")
    assert cfg["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"
    result = _caches(tmp_path, CACHE_URL="memcached://127.0.0.1:11211")
    assert result.returncode != 0 and "CACHE_URL must be a redis://" in result.stderr
