"""The work queue's fast paths (applications/admin.py) keep Django's behaviour: the same row markup as
items_for_result, searches that page through every match in order, and an untouched selection
for admin actions."""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.admin.templatetags.admin_list import result_list
from django.db import connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from applications.staff.admin import SearchPaginator
from applications.workflow import Status
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:applications_application_changelist"


def _django_rows(cl) -> str:
    """The results table exactly as Django's {% result_list %} renders it (items_for_result per cell)."""
    return render_to_string("admin/change_list_results.html", result_list(cl))


def _variety(make_app):
    """Rows that exercise every branch of the columns: no file number, decided, a 1,000+ day wait, markup in a name."""
    now = timezone.now()
    plain = make_app(Status.SUBMITTED)
    odd_name = make_app(Status.IN_REVIEW, org_name='Verein <b>"Brücke"</b> & Co')
    approved = make_app(Status.APPROVED)
    Application.objects.filter(pk=approved.pk).update(
        approved_amount=Decimal("1234.5"), submitted_at=now - datetime.timedelta(days=40),
        decided_at=now - datetime.timedelta(days=12),
    )
    ancient = make_app(Status.SUBMITTED)
    Application.objects.filter(pk=ancient.pk).update(submitted_at=now - datetime.timedelta(days=1234))
    unnumbered = make_app(Status.WITHDRAWN)  # defensive branch: a queue row without a file number
    Application.objects.filter(pk=unnumbered.pk).update(file_number=None)
    return plain, odd_name, approved, ancient, unnumbered


@pytest.mark.parametrize("role", ["bewilligung", "sachbearbeitung"])  # with and without the action checkbox
@pytest.mark.parametrize("query", [{}, {"status": "submitted"}, {"q": "Landkreis", "o": "2.-7"}])
def test_fast_rows_are_djangos_markup(client_for, make_app, role, query):
    _variety(make_app)
    r = client_for(role).get(reverse(CHANGELIST), query)
    cl = r.context["cl"]
    assert cl._fast()
    fast = cl.results_html()
    assert fast == _django_rows(cl)
    assert fast in r.content.decode()


def test_fast_rows_show_every_column(client_for, make_app):
    plain, odd_name, approved, ancient, unnumbered = _variety(make_app)
    html = client_for("bewilligung").get(reverse(CHANGELIST), {"status": "approved"}).content.decode()
    assert "1.234,50 €" in html and ">28<" in html  # approved amount; days from submission to decision
    html = client_for("bewilligung").get(reverse(CHANGELIST)).content.decode()
    assert "Verein &lt;b&gt;&quot;Brücke&quot;&lt;/b&gt; &amp; Co" in html
    assert ">1.234<" in html  # a waiting time of 1,234 days, grouped as Django's number_format does
    assert f'value="{unnumbered.pk}"' in html and f'aria-label="Antrag auswählen: {unnumbered.pk}"' in html
    link = reverse("admin:applications_application_change", args=[plain.pk])
    assert f'<a href="{link}">{plain.file_number}</a>' in html


def test_row_links_keep_the_filters(client_for, make_app):
    app = make_app(Status.SUBMITTED)
    html = client_for("bewilligung").get(reverse(CHANGELIST), {"status": "submitted"}).content.decode()
    link = reverse("admin:applications_application_change", args=[app.pk])
    assert f'href="{link}?_changelist_filters=status%3Dsubmitted"' in html


def test_popup_falls_back_to_djangos_rendering(client_for, make_app):
    app = make_app(Status.SUBMITTED)
    r = client_for("superuser").get(reverse(CHANGELIST), {"_popup": "1", "_to_field": "id"})
    assert r.status_code == 200
    assert not r.context["cl"]._fast()
    assert f'data-popup-opener="{app.pk}"' in r.content.decode()


def test_search_pages_through_all_matches_in_order(client_for, make_app):
    hanau = [make_app(Status.SUBMITTED, org=OrganisationFactory(name=f"Stadt Hanau {i}")) for i in range(3)]
    other = make_app(Status.SUBMITTED, org_name="Stadt Offenbach")
    now = timezone.now()
    matches = []
    for i in range(57):  # more than one page of 50
        app = make_app(Status.SUBMITTED, org=hanau[i % 3].organisation)
        Application.objects.filter(pk=app.pk).update(submitted_at=now - datetime.timedelta(hours=i))
        matches.append(app.pk)
    matches += [a.pk for a in hanau]
    c = client_for("sachbearbeitung")
    first = c.get(reverse(CHANGELIST), {"q": "hanau"})
    cl = first.context["cl"]
    assert isinstance(cl.paginator, SearchPaginator)
    assert cl.result_count == 60
    page1 = [a.pk for a in cl.result_list]
    page2 = [a.pk for a in c.get(reverse(CHANGELIST), {"q": "hanau", "p": "2"}).context["cl"].result_list]
    assert len(page1) == 50 and len(page2) == 10
    assert set(page1 + page2) == set(matches) and other.pk not in page1 + page2
    expected = list(Application.objects.filter(pk__in=matches).order_by("-submitted_at", "-id")
                    .values_list("pk", flat=True))
    assert page1 + page2 == expected
    # sorted by organisation name, still all matches once
    column = cl.list_display.index("organisation_name")
    by_name = c.get(reverse(CHANGELIST), {"q": "hanau", "o": str(column)}).context["cl"]
    names = [a.queue_organisation_name for a in by_name.result_list]
    assert names == sorted(names) and len(names) == 50
    assert c.get(reverse(CHANGELIST), {"q": "hanau", "p": "3"}).status_code in (200, 302)  # past the end: Django's


def test_search_by_file_number_prefix_organisation_and_title(client_for, make_app):
    a = make_app(Status.SUBMITTED, org_name="Werra-Meißner-Kreis")
    b = make_app(Status.SUBMITTED, org_name="Stadt Offenbach", title="Lotsen im Quartier")
    c = client_for("sachbearbeitung")

    def found(term):
        cl = c.get(reverse(CHANGELIST), {"q": term}).context["cl"]
        return {obj.pk for obj in cl.result_list}, cl.result_count

    assert found(a.file_number) == ({a.pk}, 1)
    assert found(a.file_number.lower()) == ({a.pk}, 1)
    assert found(a.file_number[:9]) == ({a.pk, b.pk}, 2)  # "WIR-2027-" prefix
    assert found("WIR-2027-T") == ({a.pk, b.pk}, 2)
    assert found("offenbach") == ({b.pk}, 1)
    assert found("meißner") == ({a.pk}, 1)  # organisation name, case-insensitive beyond ASCII
    assert found("im quartier") == ({b.pk}, 1)  # title
    assert found("Quartier") == ({b.pk}, 1)
    assert found("gibt es nicht") == (set(), 0)


def test_actions_get_the_whole_application(client_for, make_app):
    """The queue loads few columns for its rows; the bulk approval page still sees complete applications."""
    apps = [make_app(Status.RECOMMENDED) for _ in range(2)]
    r = client_for("bewilligung").post(reverse(CHANGELIST), {"action": "bulk_approve",
                                                             "_selected_action": [a.pk for a in apps]})
    assert r.status_code == 200
    html = r.content.decode()
    for app in apps:
        assert app.file_number in html and app.organisation.name in html


def test_queue_order_index_exists_on_postgresql(require_postgres):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'application_queue_order'")
        (definition,) = cursor.fetchone()
    assert re.search(r"\(submitted_at DESC, id DESC\) WHERE \(NOT \(\(status\)::text = 'draft'", definition), definition


def test_application_page_names_who_recommended_and_decided(client_for, make_app, users):
    """recommended_by / decided_by come from their own query (not joins); the page still names both."""
    app = make_app(Status.APPROVED)
    Application.objects.filter(pk=app.pk).update(
        recommendation="approve", recommended_by=users["sachbearbeitung"], decided_by=users["bewilligung"],
        decided_at=timezone.now(),
    )
    html = client_for("bewilligung").get(reverse("admin:applications_application_change", args=[app.pk]))
    html = html.content.decode()
    assert "(Sabine Sach)" in html and "von Bernd Bewill" in html


def test_drafts_withdrawn_before_submission_are_not_in_the_queue(client_for, make_app):
    """The ministry never received them; without a submission date they would also sort first (NULLs first)."""
    submitted = make_app(Status.SUBMITTED)
    withdrawn_after = make_app(Status.WITHDRAWN)
    withdrawn_draft = make_app(Status.WITHDRAWN)
    Application.objects.filter(pk=withdrawn_draft.pk).update(submitted_at=None, file_number=None)
    cl = client_for("bewilligung").get(reverse(CHANGELIST)).context["cl"]
    shown = {app.pk for app in cl.result_list}
    assert {submitted.pk, withdrawn_after.pk} <= shown and withdrawn_draft.pk not in shown
