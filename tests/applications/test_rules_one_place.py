"""rules.py is the only checker: the start page, the draft form, the submit page and the submission service show
the same problem in the same words; a line's behaviour comes from the registry in funding/linetypes.py."""

import datetime
from decimal import Decimal

import pytest

from applications import rules, services
from applications.models import Application
from applications.workflow import EVENTS, TRANSITIONS, Status, event_label
from funding import linetypes
from tests.factories import OrganisationFactory, application, rule, yearly_centre_round


@pytest.mark.django_db
def test_ineligible_organisation_one_wording_everywhere(seeded):
    org = OrganisationFactory(kind="freier_traeger")
    r = yearly_centre_round()  # only the 33 entities
    start = services.application_start_problem(organisation=org, rule=r)
    typed = rules.typed_problems(rule=r, organisation=org, period_start=None, period_end=None, details={}, plans=[])
    app = application(organisation=org, code="vielfaltszentren")
    complete = rules.completeness_problems(application=app)
    expected = rules.eligibility_problem(rule=r, organisation=org).message
    assert "nicht antragsberechtigt" in expected and "Freigemeinnütziger Träger" in expected
    assert start == expected
    assert expected in [p.message for p in typed]
    assert expected in [p.message for p in complete]


@pytest.mark.django_db
def test_deadline_one_wording(seeded):
    org = OrganisationFactory(kind="landkreis")
    r = rule("integrationsprojekte")
    r.deadline = datetime.date(2026, 10, 31)
    r.save()
    later = datetime.date(2026, 11, 2)
    start = rules.start_problems(rule=r, organisation=org, today=later)
    app = application(organisation=org)
    app.rule = r
    complete = rules.completeness_problems(application=app, today=later)
    typed = rules.typed_problems(rule=r, organisation=org, period_start=None, period_end=None, details={}, plans=[],
                                 today=later)
    message = f"Die Antragsfrist für „{r.line.name}“ ist am 31.10.2026 abgelaufen."
    assert message in [p.message for p in start]
    assert message in [p.message for p in complete]
    assert message in [p.message for p in typed]


@pytest.mark.django_db
def test_one_per_organisation_same_filter_at_start_and_submit(seeded):
    """A draft counts at the start (no second draft) and at the submission (no second application) alike."""
    org = OrganisationFactory(kind="landkreis")
    r = yearly_centre_round()
    assert r.one_per_organisation
    first = application(organisation=org, code="vielfaltszentren")
    start = services.application_start_problem(organisation=org, rule=r)
    assert start and "nur ein Antrag je Organisation und Jahr" in start
    second = application(organisation=org, code="vielfaltszentren")  # e.g. created before the rule was switched on
    complete = [p.message for p in rules.completeness_problems(application=second)]
    assert start in complete
    Application.objects.filter(pk=first.pk).update(status=Status.WITHDRAWN)
    assert start not in [p.message for p in rules.completeness_problems(application=second)]
    assert services.application_start_problem(organisation=org, rule=r) == start  # the second one still counts
    Application.objects.filter(pk=second.pk).update(status=Status.REJECTED)
    assert services.application_start_problem(organisation=org, rule=r) is None


@pytest.mark.django_db
def test_cap_problem_one_wording_in_form_and_submit(seeded):
    org = OrganisationFactory(kind="landkreis")
    r = rule("vielfaltszentren")
    app = application(organisation=org, code="vielfaltszentren", grant="999999.00", costs="999999.00")
    cap = rules.max_grant(application=app)
    assert cap is not None and cap < Decimal("999999.00")
    complete = [p for p in rules.completeness_problems(application=app) if p.field == "requested_grant"
                and "Höchstbetrag" in p.message]
    year = app.plan_years.first().year
    typed = [p for p in rules.typed_problems(rule=r, organisation=org, period_start=None, period_end=None,
                                             details=app.details, plans=[(year, Decimal("999999.00"),
                                                                          Decimal("999999.00"),
                                                                          Decimal("999999.00"))])
             if p.field == "requested_grant" and "Höchstbetrag" in p.message]
    assert complete and typed and complete[0].message == typed[0].message
    assert "übersteigt den Höchstbetrag" in typed[0].message


@pytest.mark.django_db
def test_a_new_line_without_a_registry_entry_is_generic(seeded):
    r = rule("fallmanagement", 2020)
    r.line.code = "ganz_neue_linie"
    assert type(linetypes.line_type(r.line.code)) is linetypes.LineType
    assert rules.line_fields(r.line) == []
    r.cap_per_application = Decimal("12000.00")
    assert rules.max_grant_for(rule=r, details={}) == Decimal("12000.00")
    assert rules.detail_problems(rule=r, details={"posts": "99"}) == []


@pytest.mark.django_db
def test_registry_behaviour_computes_the_cap(seeded):
    r = rule("fallmanagement", 2020)
    r.cap_per_post, r.max_posts, r.cap_per_application = Decimal("40000.00"), Decimal("2"), None
    assert rules.max_grant_for(rule=r, details={"posts": "1.5"}) == Decimal("60000.00")
    assert rules.max_grant_for(rule=r, details={"posts": "5"}) == Decimal("80000.00")  # at most max_posts
    assert [p.field for p in rules.detail_problems(rule=r, details={"posts": "0"})] == ["posts"]


def test_every_action_has_one_name():
    """The workflow table owns every action's wording; the audit trail names come from it."""
    for action, t in TRANSITIONS.items():
        assert t.label and event_label(action) == (t.event or t.label)
    assert event_label("budget_commit") == EVENTS["budget_commit"] == "Mittelbindung"
    assert event_label("something_unknown") == "Eintrag"
    assert TRANSITIONS["amend"].keeps_status and "bewilligung" in TRANSITIONS["amend"].actors


@pytest.mark.django_db
def test_amend_is_refused_by_the_table_for_sachbearbeitung(seeded):
    from applications.workflow import TransitionError
    from tests.factories import staff

    org = OrganisationFactory(kind="landkreis")
    app = application(organisation=org)
    Application.objects.filter(pk=app.pk).update(status=Status.APPROVED, approved_amount=Decimal("100.00"))
    app.refresh_from_db()
    from applications.decisions import amendment_decide
    from applications.models import AmendmentRequest, AmendmentStatus

    amendment = AmendmentRequest.objects.create(application=app, status=AmendmentStatus.RECOMMENDED, reasons="x",
                                                previous_amount=Decimal("100.00"), new_amount=Decimal("150.00"),
                                                requested_by_name="Antragsteller")
    with pytest.raises(TransitionError, match="keine Berechtigung"):  # the Änderungsbescheid is the "amend" edge
        amendment_decide(amendment=amendment, user=staff("Sachbearbeitung"), approve=True)
    with pytest.raises(TransitionError):
        services.application_transition(application=app, user=staff("Bewilligung"), action="amend", reason="x")
