"""Staff without a verified second factor get nothing but the second-factor pages: every admin URL and every report
URL (read from the URL resolver, so new pages join by existing), GET and POST. Applicants are asked only once they
have enrolled a factor."""

import pytest
from django.urls import URLResolver, get_resolver, reverse

from applications.accounts.mfa import testing
from applications.workflow import Status
from tests.factories import OrganisationFactory, application, attach_required

from .conftest import code, password_login, totp_device

pytestmark = pytest.mark.django_db

MFA_PREFIX = "/konto/sicherheit/"


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern), sorted(p.pattern.regex.groupindex)


def staff_urls(app_pk: int) -> list[str]:
    """Every route under /admin/ and /berichte/, with object ids filled in (the refusal comes before the view)."""
    urls = []
    for route, kwargs in _walk(get_resolver().url_patterns):
        if not route.startswith(("admin/", "berichte/")):
            continue
        url = "/" + route
        for name in kwargs:
            value = {"object_id": str(app_pk), "pk": "1", "action": "start_review", "attachment_id": "1",
                     "dataset": "applications", "fmt": "csv", "content_type_id": "1"}.get(name, "1")
            url = url.replace(f"<int:{name}>", value).replace(f"<path:{name}>", value)
            url = url.replace(f"<slug:{name}>", value).replace(f"<str:{name}>", value).replace(f"<{name}>", value)
        assert "<" not in url, url
        urls.append(url.replace("^", "").replace("$", ""))
    return sorted(set(urls))


@pytest.fixture
def submitted_app(seeded):
    app = application(organisation=OrganisationFactory(kind="landkreis"), code="integrationsprojekte")
    attach_required(app)
    from django.utils import timezone

    app.__class__.objects.filter(pk=app.pk).update(status=Status.SUBMITTED, file_number="WIR-2027-FM-0900",
                                                   submitted_at=timezone.now())
    return app


def _refused(response, target: str) -> bool:
    return response.status_code == 302 and response.url.startswith(MFA_PREFIX + target)


def test_every_staff_url_refused_without_a_factor(client, superuser, submitted_app):
    urls = staff_urls(submitted_app.pk)
    assert len(urls) > 60 and "/admin/" in urls and "/berichte/" in urls
    testing.force_login_unverified(client, superuser)
    for url in urls:
        if url == "/admin/logout/":
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert _refused(response, ""), f"{method.upper()} {url}: {response.status_code} {getattr(response, 'url', '')}"
    submitted_app.refresh_from_db()
    assert submitted_app.status == Status.SUBMITTED  # the POSTed decision did not run


def test_the_walk_reaches_real_pages_once_verified(client, superuser, submitted_app):
    """Guard for the test above: the same URLs answer (not with the second-factor page) after verification."""
    testing.force_login_verified(client, superuser)
    reached = 0
    for url in staff_urls(submitted_app.pk):
        if url == "/admin/logout/":
            continue
        response = client.get(url)
        assert not _refused(response, ""), url
        reached += response.status_code == 200
    assert reached > 25  # changelists, add forms, reports (pages of objects that do not exist answer 404)


def test_staff_with_a_factor_but_not_verified_are_sent_to_verify(client, sachbearbeitung, submitted_app):
    totp_device(sachbearbeitung)
    password_login(client, sachbearbeitung)
    response = client.get(reverse("admin:applications_application_changelist"))
    assert _refused(response, "bestaetigen/")
    assert "next=%2Fadmin%2Fapplications%2Fapplication%2F" in response.url
    response = client.post(reverse("admin:applications_application_decide", args=[submitted_app.pk, "start_review"]))
    assert _refused(response, "bestaetigen/")
    submitted_app.refresh_from_db()
    assert submitted_app.status == Status.SUBMITTED


def test_first_staff_login_is_sent_to_enrolment(client, sachbearbeitung):
    password_login(client, sachbearbeitung)
    response = client.get("/admin/")
    assert _refused(response, "?next=")  # the overview, which demands enrolment
    page = client.get(response.url)
    assert page.status_code == 200
    assert "Bitte richten Sie jetzt einen zweiten Faktor ein." in page.content.decode()
    # the applicant portal and the password change are closed too; signing out is not
    assert _refused(client.get(reverse("portal:dashboard")), "")
    assert _refused(client.get(reverse("password_change")), "")
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_ministry_group_without_admin_flag_also_needs_a_factor(client, seeded):
    from django.contrib.auth.models import Group

    from tests.factories import UserFactory

    user = UserFactory(email="haushalt-ohne-staff@rp.wir", username="haushalt-ohne-staff@rp.wir")
    user.groups.add(Group.objects.get(name="Haushalt"))
    password_login(client, user)
    assert _refused(client.get(reverse("portal:dashboard")), "")


def test_verified_staff_get_in(client, sachbearbeitung):
    device = totp_device(sachbearbeitung)
    password_login(client, sachbearbeitung)
    key_before = client.session.session_key
    response = client.post(reverse("mfa:verify") + "?next=/admin/", {"method": "totp", "code": code(device),
                                                                      "next": "/admin/"})
    assert response.status_code == 302 and response.url == "/admin/"
    assert client.session.session_key != key_before  # no session fixation across the second step
    assert client.get("/admin/").status_code == 200


def test_applicants_without_a_factor_are_not_asked(client, applicant):
    password_login(client, applicant)
    assert client.get(reverse("portal:dashboard")).status_code == 200


def test_applicants_with_a_factor_are_asked_at_every_sign_in(client, applicant):
    device = totp_device(applicant)
    password_login(client, applicant)
    response = client.get(reverse("portal:dashboard"))
    assert _refused(response, "bestaetigen/")
    response = client.post(reverse("mfa:verify"), {"method": "totp", "code": code(device), "next": "/portal/"})
    assert response.status_code == 302 and response.url == "/portal/"
    assert client.get(reverse("portal:dashboard")).status_code == 200


def test_applicant_dashboard_costs_no_extra_query(client, applicant, django_assert_num_queries):
    """The requirement is decided at sign-in: an applicant without a factor pays nothing per request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(applicant)
    client.get(reverse("portal:dashboard"))
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("portal:dashboard")).status_code == 200
    assert not [q for q in ctx.captured_queries if "otp_" in q["sql"] or "webauthn" in q["sql"]]


def test_unsafe_next_is_ignored(client, sachbearbeitung):
    device = totp_device(sachbearbeitung)
    password_login(client, sachbearbeitung)
    response = client.post(reverse("mfa:verify"), {"method": "totp", "code": code(device),
                                                   "next": "https://evil.example/admin/"})
    assert response.status_code == 302 and response.url == "/admin/"


def test_the_page_asked_for_is_reached_after_verification_with_its_query(client, sachbearbeitung):
    device = totp_device(sachbearbeitung)
    password_login(client, sachbearbeitung)
    wanted = "/admin/applications/application/?status=submitted&o=-1"
    response = client.get(wanted)
    assert _refused(response, "bestaetigen/")
    verify = client.get(response.url)
    assert verify.status_code == 200
    assert 'name="next" value="/admin/applications/application/?status=submitted&amp;o=-1"' in verify.content.decode()
    response = client.post(response.url, {"method": "totp", "code": code(device), "next": wanted})
    assert response.status_code == 302 and response.url == wanted
