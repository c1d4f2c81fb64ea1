"""Access (404 for everyone without applications.view_reports), page content, admin links, fixed query counts."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.models import Application
from applications.workflow import Status
from funding.models import LedgerEntry
from funding.services import budget_commit
from reports.models import ReportJob
from tests.factories import OrganisationFactory, UserFactory, application, member, rule, staff

pytestmark = pytest.mark.django_db

PAGES = ["/berichte/", "/berichte/?jahr=2027", "/berichte/verlauf/", "/berichte/regionen/?jahr=2027",
         "/berichte/pdf/", "/berichte/export/antraege.csv", "/berichte/export/antraege.xlsx",
         "/berichte/export/buchungen.csv", "/berichte/export/buchungen.xlsx"]


def _job(user):
    return ReportJob.objects.create(year_from=2027, year_to=2027, created_by=user)


def _all_urls(job):
    return PAGES + [f"/berichte/pdf/{job.pk}/", f"/berichte/pdf/{job.pk}/status", f"/berichte/pdf/{job.pk}/download"]


@pytest.mark.parametrize("who", ["applicant", "sachbearbeitung", "staff_without_group"])
def test_everyone_without_the_permission_gets_404_everywhere(client, seeded, who):
    if who == "applicant":
        user = UserFactory()
        member(user, OrganisationFactory())
    elif who == "sachbearbeitung":
        user = staff("Sachbearbeitung")
    else:
        user = staff(None)
    job = _job(staff("Haushalt"))
    client.force_login(user)
    for url in _all_urls(job):
        assert client.get(url).status_code == 404, url
    assert client.post("/berichte/pdf/neu/", {"year_from": 2027, "year_to": 2027}).status_code == 404
    assert ReportJob.objects.count() == 1
    assert "/berichte/" not in client.get("/accounts/password_change/").content.decode()


def test_anonymous_is_sent_to_login(client, seeded):
    response = client.get("/berichte/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("group", ["Haushalt", "Bewilligung", "superuser"])
def test_permitted_staff_see_every_page(client, figures, group):
    user = UserFactory(is_staff=True, is_superuser=True) if group == "superuser" else staff(group)
    client.force_login(user)
    for url in PAGES:
        assert client.get(url).status_code == 200, url
    html = client.get("/berichte/?jahr=2027").content.decode()
    assert 'href="/berichte/"' in html  # the nav link
    assert "90.100,00 €" in html and "75,00 %" in html and "25,0 Tage" in html


def test_pdf_job_of_someone_else_is_404(client, seeded):
    job = _job(staff("Haushalt"))
    client.force_login(staff("Haushalt"))
    for url in _all_urls(job)[-3:]:
        assert client.get(url).status_code == 404


def test_pages_have_no_inline_styles_or_scripts(client, figures, report_user):
    client.force_login(report_user)
    for url in ["/berichte/?jahr=2027", "/berichte/verlauf/", "/berichte/regionen/?jahr=2027", "/berichte/pdf/"]:
        html = client.get(url).content.decode()
        assert " style=" not in html, url
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url


def test_charts_are_inline_accessible_svg(client, figures, report_user):
    client.force_login(report_user)
    html = client.get("/berichte/?jahr=2027").content.decode()
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert 'role="img"' in svg and "<title id=" in svg and "<desc id=" in svg and "aria-labelledby=" in svg
    assert "Integrations- und Teilhabeprojekte: Mittelansatz" in svg  # the figures are in the description
    assert 'id="table-lines-2027"' in html  # and in the data table
    trend = client.get("/berichte/verlauf/").content.decode()
    assert trend.count("<svg") == 2 and "<polyline" in trend


def test_every_figure_link_opens_the_admin_changelist_with_the_right_rows(client, figures):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    for page in ["/berichte/?jahr=2027", "/berichte/verlauf/", "/berichte/regionen/?jahr=2027",
                 "/berichte/?jahr=2027&rb=Gie%C3%9Fen&art=migrantenorganisation"]:
        links = {h.replace("&amp;", "&") for h in re.findall(r'href="(/admin/[^"]*)"', client.get(page).content.decode())}
        assert links, page
        for link in links:
            response = client.get(link)
            assert response.status_code == 200, link  # an unknown lookup would answer 400 or redirect with ?e=1
    # The approved figure of Integrations- und Teilhabeprojekte 2027 lists exactly its two funded applications.
    html = client.get("/berichte/?jahr=2027").content.decode()
    fm = rule("integrationsprojekte")
    link = next(h.replace("&amp;", "&") for h in re.findall(r'href="(/admin/applications/application/[^"]*)"', html)
                if f"rule__line__id__exact={fm.line_id}" in h and "status__in=approved" in h)
    changelist = client.get(link).context["cl"]
    assert {a.file_number for a in changelist.queryset} == {"WIR-2027-IP-0001", "WIR-2027-IP-0002"}


def _grow(n: int, start: int = 0) -> None:
    """n more decided and funded applications with ledger rows (2027, spread over lines and organisations)."""
    bw = staff("Bewilligung")
    r = rule("lotsen")
    for i in range(start, start + n):
        org = OrganisationFactory(kind="freier_traeger")
        app = application(organisation=org, code="lotsen", grant="100.00", costs="200.00")
        status = [Status.APPROVED, Status.REJECTED, Status.SUBMITTED][i % 3]
        Application.objects.filter(pk=app.pk).update(status=status, file_number=f"WIR-2027-IL-{i + 100:04d}",
                                                     submitted_at="2027-01-02T10:00:00Z",
                                                     decided_at="2027-01-20T10:00:00Z" if i % 3 < 2 else None)
        if status == Status.APPROVED:
            budget_commit(rule=r, application=app, amount=Decimal("100.00"), user=bw)


@pytest.mark.parametrize("url", ["/berichte/?jahr=2027", "/berichte/verlauf/", "/berichte/regionen/?jahr=2027",
                                 "/berichte/export/antraege.csv?jahr=2027", "/berichte/export/buchungen.csv",
                                 "/berichte/export/antraege.xlsx", "/berichte/export/buchungen.xlsx"])
def test_query_count_does_not_grow_with_rows(client, seeded, report_user, url):
    client.force_login(report_user)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
            assert response.status_code == 200
            if response.streaming:
                b"".join(response.streaming_content)
        return len(ctx)

    _grow(3)
    assert Application.objects.count() == 3
    small = count()
    _grow(27, start=3)
    assert Application.objects.count() == 30 and LedgerEntry.objects.count() == 10
    assert count() == small, url
