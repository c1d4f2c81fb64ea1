"""Accessibility of the staff admin: axe-core (the same vendored harness as the applicant pages) finds no serious or
critical violation on any admin page a staff role reaches. The pages are discovered, not listed: for each demo
staff user every model in admin.site._registry it may view gives its changelist, the change page of one object
and, where allowed, the add page; plus the index, the budget overview and the decision pages of an application."""

import pytest
from django.contrib import admin
from django.forms.models import _get_foreign_key
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from applications.workflow import Status
from tests.applications.test_accessibility import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The three ministry staff roles. The technical superuser is not one; the pages only it reaches (Django's own
# user and group admin) are not walked here.
ROLES = ["sachbearbeitung@demo.wir", "bewilligung@demo.wir", "haushalt@demo.wir"]


def admin_pages(user) -> list[str]:
    """Every admin page this user reaches, discovered from the admin registry and the user's permissions."""
    request = RequestFactory().get("/admin/")
    request.user = user
    pages = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        if not model_admin.has_view_or_change_permission(request):
            continue
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pages.append(reverse(f"{prefix}_changelist"))
        queryset = model_admin.get_queryset(request)
        # the oldest and the newest object: seeded reference data and demo data with their inlines filled
        objects = {queryset.order_by("pk").first(), queryset.order_by("-pk").first()}
        for inline in model_admin.inlines:  # and one whose inline rows are filled (inputs in table cells)
            fk = _get_foreign_key(model, inline.model, fk_name=inline.fk_name)
            objects.add(queryset.filter(**{f"{fk.related_query_name()}__isnull": False}).order_by("pk").first())
        for obj in objects - {None}:
            if model_admin.has_view_or_change_permission(request, obj):
                pages.append(reverse(f"{prefix}_change", args=[obj.pk]))
        if model_admin.has_add_permission(request):
            pages.append(reverse(f"{prefix}_add"))
    if user.has_perm("applications.view_budget"):
        pages.append(reverse("admin:funding_budget_overview"))
    return pages


def decision_pages(user) -> list[str]:
    """The decision form of every action this user may take on a demo application in a pending state."""
    from applications.models import Application
    from applications.selectors import actors_for
    from applications.workflow import actions_from

    pages = []
    actors = actors_for(user)
    for status in (Status.SUBMITTED, Status.IN_REVIEW, Status.RECOMMENDED):
        app = Application.objects.filter(status=status).order_by("pk").first()
        if app is None:
            continue
        for action in actions_from(status, actors):
            try:
                pages.append(reverse("admin:applications_application_decide", args=[app.pk, action.action]))
            except NoReverseMatch:
                continue
    return pages


def login(page, base, email):
    from applications.demo import DEMO_PASSWORD

    page.context.clear_cookies()
    page.goto(base + reverse("admin:login"))
    page.locator("input[name=username]").fill(email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("form input[type=submit], form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/login/" not in url)


def test_every_admin_page_a_staff_role_reaches_passes_axe(page, live_server, require_browser, demo):
    from django.contrib.auth import get_user_model

    base = live_server.url
    failures, checked = [], 0
    for email in ROLES:
        user = get_user_model().objects.get(username=email)
        paths = list(dict.fromkeys(admin_pages(user) + decision_pages(user)))
        assert len(paths) > 5, (email, paths)
        login(page, base, email)
        for path in paths:
            response = page.goto(base + path)
            assert response is not None and response.status == 200, f"{email} {path}: {response and response.status}"
            violations = axe_violations(page)
            checked += 1
            failures += [f"{email} {path}: {v['id']} {[n['target'] for n in v['nodes']][:3]}" for v in violations]
    assert not failures, "\n".join(failures)
    assert checked > 30
