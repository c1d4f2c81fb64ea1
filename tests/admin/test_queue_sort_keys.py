"""The queue's "Bereich" and "Jahr" columns sort by keys stored on the application (issue 18): they equal the
rule's line order and year when the row is created (by save() and by bulk callers), follow a line whose order
Haushalt changes, and the sorted pages come out in the column's order."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from applications.workflow import Status
from funding.models import FundingLine, LineRule
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:applications_application_changelist"


def _rules():
    """Three rules of different lines and years, whatever the seed holds."""
    rules = list(LineRule.objects.select_related("line", "programme_year").order_by("line__order", "programme_year__year"))
    by_line = {}
    for r in rules:
        by_line.setdefault(r.line_id, r)
    picked = list(by_line.values())[:3]
    assert len({r.line.order for r in picked}) == 3 and len(picked) == 3
    return picked


def _submitted(org, rule, hours_ago):
    app = Application.objects.create(organisation=org, rule=LineRule.objects.get(pk=rule.pk), title="Vorhaben",
                                     status=Status.SUBMITTED)
    Application.objects.filter(pk=app.pk).update(
        file_number=f"WIR-T-{app.pk:05d}", submitted_at=timezone.now() - datetime.timedelta(hours=hours_ago))
    app.refresh_from_db()
    return app


def test_keys_are_copied_from_the_rule_on_create(seeded):
    org = OrganisationFactory()
    for r in _rules():
        # the rule fetched bare (not with its line and year): save() reads the keys in one query
        app = Application.objects.create(organisation=org, rule=LineRule.objects.get(pk=r.pk), title="x")
        app.refresh_from_db()
        assert (app.sort_line, app.sort_year) == (r.line.order, r.programme_year.year)


def test_a_line_moved_by_haushalt_takes_its_applications_along(seeded):
    org = OrganisationFactory()
    r = _rules()[0]
    app = _submitted(org, r, 1)
    line = FundingLine.objects.get(pk=r.line_id)
    line.order = 97
    line.save()
    app.refresh_from_db()
    assert app.sort_line == 97


@pytest.mark.parametrize("column,key", [(2, "sort_line"), (3, "sort_year")])  # list_display index, from 0
def test_queue_sorted_by_line_and_year_descending_and_ascending(client_for, column, key):
    org = OrganisationFactory(kind="landkreis")
    apps = [_submitted(org, r, hours) for hours, r in enumerate(_rules() * 2)]
    c = client_for("sachbearbeitung")
    for sign in ("-", ""):
        r = c.get(reverse(CHANGELIST), {"o": f"{sign}{column}"})
        assert r.status_code == 200
        shown = [obj.pk for obj in r.context["cl"].result_list if obj.pk in {a.pk for a in apps}]
        # the admin appends the queue's own order (-submitted_at, -id) after the column
        expected = sorted(apps, key=lambda a: (getattr(a, key), a.submitted_at), reverse=True)
        if not sign:
            expected = sorted(expected, key=lambda a: getattr(a, key))  # stable: ties keep newest first
        assert shown == [a.pk for a in expected], (sign, column)
