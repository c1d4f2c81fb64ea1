"""Admin lists tell the truth (issue 18): exact counts, "select all" acts on exactly the set it names, every page
of a long list answers (no redirect to ?e=1), deep pages come in the list's order (also read from the end), the
cached count follows every committed change, the outbox has no date hierarchy and the organisation page shows a
bounded audit trail."""

import datetime
import re

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, Notice, Organisation, OrganisationEvent
from applications.workflow import Status
from funding import admin_paging
from funding.admin_paging import HonestPaginator, exact_count

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:applications_application_changelist"


@pytest.fixture
def queue(make_app, monkeypatch):
    """13 applications, 2 per page (7 pages), keys read from page 2 on (the deep path)."""
    monkeypatch.setattr(admin.site._registry[Application], "list_per_page", 2)
    monkeypatch.setattr(admin_paging, "DEEP_OFFSET", 2)
    now = timezone.now()
    apps = []
    for i in range(13):
        app = make_app(Status.SUBMITTED, grant=f"{1000 + (i * 7919) % 13 * 100}.00")
        Application.objects.filter(pk=app.pk).update(submitted_at=now - datetime.timedelta(hours=i))
        apps.append(app.pk)
    return apps


def _page(client, **params):
    response = client.get(reverse(CHANGELIST), params)
    assert response.status_code == 200, (params, response.status_code, response.get("Location"))
    return response


def test_every_page_answers_in_order_and_the_count_is_exact(client_for, queue):
    c = client_for("sachbearbeitung")
    expected = list(Application.objects.filter(pk__in=queue).order_by("-submitted_at", "-id")
                    .values_list("pk", flat=True))
    seen = []
    for number in range(1, 8):
        r = _page(c, p=number)
        cl = r.context["cl"]
        assert cl.result_count == 13 and cl.paginator.num_pages == 7
        seen += [obj.pk for obj in cl.result_list]
    assert seen == expected  # deep pages (from the front and, past the middle, from the end) in the list's order
    last = _page(c, p=7).content.decode()
    assert "13 Anträge" in last and "Seite 7 von 7" in last
    assert c.get(reverse(CHANGELIST), {"p": 8}).status_code == 302  # only a page past the real end is refused


def test_every_page_of_a_sorted_list_in_order(client_for, queue):
    c = client_for("sachbearbeitung")
    cl = _page(c).context["cl"]
    column = cl.list_display.index("requested")
    expected = list(Application.objects.filter(pk__in=queue).order_by("-requested_amount", "-id")
                    .values_list("pk", flat=True))
    seen = []
    for number in range(1, 8):
        seen += [obj.pk for obj in _page(c, o=f"-{column}", p=number).context["cl"].result_list]
    assert seen == expected


def test_select_all_names_the_exact_number_and_acts_on_exactly_that_set(client_for, queue, monkeypatch):
    c = client_for("bewilligung")
    html = _page(c).content.decode()
    assert "13 Anträge" in html
    assert re.search(r"Alle\s+13\s+Anträge\s+auswählen", html), "select-across must name the exact count"
    acted_on = []

    def record(self, request, queryset):
        acted_on.extend(queryset.values_list("pk", flat=True))

    monkeypatch.setattr(type(admin.site._registry[Application]), "bulk_approve", record)
    monkeypatch.setattr(admin.site._registry[Application], "get_actions",
                        lambda request: {"bulk_approve": (record, "bulk_approve", "Bewilligen")})
    c.post(reverse(CHANGELIST), {"action": "bulk_approve", "select_across": "1", "index": "0",
                                 "_selected_action": [queue[0]]})
    assert sorted(acted_on) == sorted(queue)


def test_bulk_approval_of_thousands_is_refused_with_a_message(client_for, queue, monkeypatch):
    from applications.staff import admin as app_admin

    monkeypatch.setattr(app_admin, "BULK_APPROVE_MAX", 5)
    c = client_for("bewilligung")
    r = c.post(reverse(CHANGELIST), {"action": "bulk_approve", "select_across": "1", "index": "0",
                                     "_selected_action": [queue[0]]}, follow=True)
    assert "13 Anträge ausgewählt: Sammelentscheidungen umfassen höchstens 5" in r.content.decode()


def test_search_counts_exactly_beyond_the_id_list(client_for, make_app, monkeypatch):
    from applications.staff.admin import SearchPaginator

    monkeypatch.setattr(SearchPaginator, "IDS_LIMIT", 3)
    monkeypatch.setattr(admin.site._registry[Application], "list_per_page", 2)
    for _ in range(6):
        make_app(Status.SUBMITTED)
    c = client_for("bewilligung")
    cl = _page(c, q="Landkreis Test").context["cl"]
    assert cl.result_count == 6 and cl.paginator.num_pages == 3
    pages = [[o.pk for o in _page(c, q="Landkreis Test", p=n).context["cl"].result_list] for n in (1, 2, 3)]
    assert len({pk for page in pages for pk in page}) == 6


def test_cached_count_follows_committed_changes(transactional_db, seeded, make_app):
    """Outside a transaction the count comes from the cache under the figures version: saves, deletes and bulk
    inserts (no signals, but a new max id) all show at once."""
    from django.core.cache import cache

    cache.clear()
    make_app(Status.SUBMITTED)
    qs = Application.objects.exclude(status=Status.DRAFT)
    first = exact_count(qs)
    with CaptureQueriesContext(connection) as ctx:
        assert exact_count(qs) == first
    assert not any("COUNT(" in q["sql"].upper() for q in ctx.captured_queries)  # from the cache
    app = make_app(Status.SUBMITTED)
    assert exact_count(qs) == first + 1
    Application.objects.get(pk=app.pk).delete()
    assert exact_count(qs) == first
    clone = Application.objects.filter(status=Status.SUBMITTED).first()
    clone.pk, clone.file_number = None, "WIR-2027-T-9999"
    Application.objects.bulk_create([clone])  # no signal
    assert exact_count(qs) == first + 1


def test_paginator_reads_deep_pages_by_key(seeded, make_app, monkeypatch):
    monkeypatch.setattr(admin_paging, "DEEP_OFFSET", 0)
    for _ in range(5):
        make_app(Status.SUBMITTED)
    qs = Application.objects.order_by("-id")
    paginator = HonestPaginator(qs, 2)
    assert [list(paginator.page(n).object_list.values_list("pk", flat=True)) for n in (1, 2, 3)] == [
        list(qs.values_list("pk", flat=True)[i:i + 2]) for i in (0, 2, 4)
    ]


def test_outbox_has_a_year_filter_instead_of_the_date_hierarchy(client_for, seeded):
    model_admin = admin.site._registry[Notice]
    assert not model_admin.date_hierarchy
    c = client_for("bewilligung")
    url = reverse("admin:applications_notice_changelist")
    with CaptureQueriesContext(connection) as ctx:
        assert c.get(url).status_code == 200
    assert not any("DISTINCT" in q["sql"].upper() for q in ctx.captured_queries)
    assert c.get(url, {"jahr": "2027"}).status_code == 200
    assert c.get(url, {"jahr": "99999999999"}).status_code == 200  # ignored, never a 500


def test_organisation_page_shows_the_latest_events_and_links_all(client_for, seeded):
    from applications.staff import admin as app_admin

    org = Organisation.objects.order_by("pk").first()
    OrganisationEvent.objects.bulk_create([
        OrganisationEvent(organisation=org, action="invited", actor_name="Test", subject=f"person{i}@example.org")
        for i in range(app_admin.ORGANISATION_EVENTS_SHOWN + 7)
    ])
    c = client_for("sachbearbeitung")
    html = c.get(reverse("admin:applications_organisation_change", args=[org.pk])).content.decode()
    shown = app_admin.ORGANISATION_EVENTS_SHOWN
    assert f"Die letzten {shown} von {shown + 7} Einträgen" in html
    assert html.count("@example.org</td>") == shown
    events_url = reverse("admin:applications_organisationevent_changelist")
    assert f'{events_url}?q={org.pk}' in html
    r = c.get(events_url, {"q": str(org.pk)})
    assert r.status_code == 200 and r.context["cl"].result_count == shown + 7


@pytest.mark.parametrize("name", ["Verein <b>\"Brücke\"</b> & Co", "Stadt Hanau", "'; --"])
def test_fast_action_checkbox_is_djangos_markup(seeded, name):
    from django.contrib.admin import ModelAdmin

    org = Organisation.objects.create(name=name, kind="landkreis", regierungsbezirk="Darmstadt")
    model_admin = admin.site._registry[Organisation]
    assert ModelAdmin.action_checkbox is admin_paging.fast_action_checkbox  # installed for every admin
    assert str(model_admin.action_checkbox(org)) == str(admin_paging._django_action_checkbox(model_admin, org))
