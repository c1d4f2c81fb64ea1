"""The workflow table and the services that walk it: every allowed and every forbidden transition per role,
the four-eyes rule, over-budget refusals, partial approvals, releases, multi-year splits, audit after deletion."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from applications import services
from applications.models import Application, Event, PlanYear
from applications.selectors import actors_for
from applications.workflow import (
    TRANSITIONS,
    Actor,
    Status,
    TransitionError,
    actions_from,
    check_transition,
)
from funding.models import LedgerEntry, LedgerKind, LineRule
from funding.services import budget_figures
from tests.factories import (
    DECLARATIONS,
    OrganisationFactory,
    UserFactory,
    application,
    attach_required,
    member,
    partially_approve,
    rule,
    staff,
)

# --- 1. The table itself, against the specification -------------------------------------------------------

S = Status
OPEN = {S.SUBMITTED, S.IN_REVIEW, S.CHANGES_REQUESTED, S.RESUBMITTED, S.RECOMMENDED}
# action: (sources, target, actors) as the issue describes the workflow.
SPEC = {
    "submit": ({S.DRAFT}, S.SUBMITTED, {Actor.SIGNATORY}),
    "resubmit": ({S.CHANGES_REQUESTED}, S.RESUBMITTED, {Actor.SIGNATORY}),
    "start_review": ({S.SUBMITTED, S.RESUBMITTED}, S.IN_REVIEW, {Actor.SACHBEARBEITUNG}),
    "request_changes": ({S.IN_REVIEW}, S.CHANGES_REQUESTED, {Actor.SACHBEARBEITUNG}),
    "recommend": ({S.IN_REVIEW}, S.RECOMMENDED, {Actor.SACHBEARBEITUNG}),
    "approve": ({S.RECOMMENDED}, S.APPROVED, {Actor.BEWILLIGUNG}),
    "partially_approve": ({S.RECOMMENDED}, S.PARTIALLY_APPROVED, {Actor.BEWILLIGUNG}),
    "reject": ({S.IN_REVIEW, S.RECOMMENDED}, S.REJECTED, {Actor.BEWILLIGUNG}),
    "withdraw": ({S.DRAFT} | OPEN, S.WITHDRAWN, {Actor.SIGNATORY}),
    "withdraw_for_applicant": (OPEN, S.WITHDRAWN, {Actor.SACHBEARBEITUNG}),
    # Änderungsbescheid: a decision on a funded application that leaves its status as it is
    "amend": ({S.APPROVED, S.PARTIALLY_APPROVED}, None, {Actor.BEWILLIGUNG}),
}


def test_table_matches_the_specification():
    assert set(TRANSITIONS) == set(SPEC)
    for action, (sources, target, actors) in SPEC.items():
        t = TRANSITIONS[action]
        assert set(t.sources) == sources, action
        assert (None if t.keeps_status else t.target) == target, action
        assert set(t.actors) == actors, action


def test_decided_and_withdrawn_are_final():
    for status in (S.APPROVED, S.PARTIALLY_APPROVED, S.REJECTED, S.WITHDRAWN):
        assert [t for t in actions_from(status, set(Actor.values)) if not t.keeps_status] == []


def _allowed_by_spec(action: str, status: str, actor: str) -> bool:
    sources, _target, actors = SPEC[action]
    return status in sources and actor in actors


def test_check_transition_and_buttons_follow_the_specification():
    """check_transition and actions_from (the buttons) against SPEC above, for every action, status and actor —
    one test, so a wrong edge names itself in the message instead of in 400 generated cases."""
    wrong = []
    for action in SPEC:
        for status in Status.values:
            for actor in Actor.values:
                allowed = _allowed_by_spec(action, status, actor)
                try:
                    t = check_transition(action=action, status=status, actors={actor})
                except TransitionError:
                    refused = True
                else:
                    refused = False
                    if (None if t.keeps_status else t.target) != SPEC[action][1]:
                        wrong.append((action, status, actor, "target", t.target))
                if refused == allowed:
                    wrong.append((action, status, actor, "check_transition", "refused" if refused else "allowed"))
                offered = action in {t.action for t in actions_from(status, {actor})}
                if offered != allowed:
                    wrong.append((action, status, actor, "actions_from", "offered" if offered else "missing"))
    assert not wrong, wrong


# Who may do what at all (from some status): the role x action matrix as people describe it, written by hand.
#                         member  signatory  sachbearbeitung  bewilligung
ROLE_ACTION_MATRIX = """
submit                      -        x            -               -
resubmit                    -        x            -               -
start_review                -        -            x               -
request_changes             -        -            x               -
recommend                   -        -            x               -
approve                     -        -            -               x
partially_approve           -        -            -               x
reject                      -        -            -               x
withdraw                    -        x            -               -
withdraw_for_applicant      -        -            x               -
amend                       -        -            -               x
"""
MATRIX_ACTORS = [Actor.MEMBER, Actor.SIGNATORY, Actor.SACHBEARBEITUNG, Actor.BEWILLIGUNG]


def test_role_action_matrix():
    expected = {}
    for line in ROLE_ACTION_MATRIX.strip().splitlines():
        action, *marks = line.split()
        expected[action] = {actor for actor, mark in zip(MATRIX_ACTORS, marks, strict=True) if mark == "x"}
    assert set(expected) == set(TRANSITIONS)
    actual = {
        action: {actor for actor in MATRIX_ACTORS
                 if any(TRANSITIONS[action] in actions_from(status, {actor}) for status in Status.values)}
        for action in TRANSITIONS
    }
    assert actual == expected
    # a plain member prepares drafts but triggers no transition at all
    assert all(actions_from(status, {Actor.MEMBER}) == [] for status in Status.values)


def test_unknown_action_is_one_domain_error():
    with pytest.raises(TransitionError, match="Unbekannte Aktion"):
        check_transition(action="approve_everything", status=S.RECOMMENDED, actors=set(Actor.values))


# --- 2. Through the services, per role, from every status ----------------------------------------------------------

ROLES = ["sachbearbeitung", "bewilligung", "haushalt", "staff_without_group", "signatory", "member"]
ROLE_ACTORS = {
    "sachbearbeitung": {Actor.SACHBEARBEITUNG}, "bewilligung": {Actor.BEWILLIGUNG}, "haushalt": set(),
    "staff_without_group": set(), "signatory": {Actor.MEMBER, Actor.SIGNATORY}, "member": {Actor.MEMBER},
}


def _user_for(role, organisation):
    from applications.models import Role

    if role == "sachbearbeitung":
        return staff("Sachbearbeitung")
    if role == "bewilligung":
        return staff("Bewilligung")
    if role == "haushalt":
        return staff("Haushalt")
    if role == "staff_without_group":
        return staff(None)
    user = UserFactory()
    member(user, organisation, Role.SIGNATORY if role == "signatory" else Role.MEMBER)
    return user


def _call(action, app, user):
    if action in ("submit", "resubmit"):
        return services.application_submit(application=app, user=user, today=app.rule.deadline,
                                               declarations=DECLARATIONS)
    if action == "start_review":
        return services.application_start_review(application=app, user=user)
    if action == "request_changes":
        return services.application_request_changes(application=app, user=user, message="Bitte Satzung nachreichen.")
    if action == "recommend":
        return services.application_recommend(application=app, user=user, recommendation="approve")
    if action == "approve":
        return services.application_decide(application=app, user=user, action="approve")
    if action == "partially_approve":
        return partially_approve(app, user, app.requested_amount - 1000, "Kürzung")
    if action == "reject":
        return services.application_decide(application=app, user=user, action="reject", reasons="Nicht förderfähig")
    if action == "withdraw":
        return services.application_withdraw(application=app, user=user, reason="Projekt entfällt")
    if action == "withdraw_for_applicant":
        return services.application_staff_withdraw(application=app, user=user, reason="Schreiben vom 12.01.")
    raise AssertionError(action)


class _Rollback(Exception):
    pass


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", [a for a, t in TRANSITIONS.items() if not t.keeps_status])
def test_services_allow_and_refuse_per_role_from_every_status(seeded, action, role):
    """For this (action, role): from each status, the service succeeds exactly when the table allows it."""
    org = OrganisationFactory(kind="landkreis")
    app = application(organisation=org)
    attach_required(app)
    user = _user_for(role, org)
    recommender = staff("Sachbearbeitung")
    assert actors_for(user, app) == ROLE_ACTORS[role]
    outcomes, edges = {}, {}
    for status in Status.values:
        t = TRANSITIONS[_effective(action, status, ROLE_ACTORS[role])]
        edges[status] = t
        try:
            with transaction.atomic():
                Application.objects.filter(pk=app.pk).update(status=status, recommended_by=recommender,
                                                             submitted_by=None)
                app.refresh_from_db()
                try:
                    result = _call(action, app, user)
                except TransitionError:
                    outcomes[status] = "refused"
                else:
                    result.refresh_from_db()
                    assert result.status == t.target, (action, status, role)
                    event = Event.objects.filter(application=app, action=t.action).order_by("-id").first()
                    assert event is not None and event.from_status == status and event.to_status == t.target
                    outcomes[status] = "done"
                raise _Rollback
        except _Rollback:
            pass
    expected = {  # from the hand-written SPEC, not from the table the services read
        status: "done" if any(_allowed_by_spec(edge.action, status, a) for a in ROLE_ACTORS[role]) else "refused"
        for status, edge in edges.items()
    }
    assert outcomes == expected


def _effective(action: str, status: str, actors: set[str]) -> str:
    """The services pick the edge the way the portal needs: submitting from "changes requested" is a resubmission;
    withdrawing as someone who is not a signatory is a withdrawal on the applicant's behalf (staff only)."""
    if action in ("submit", "resubmit"):
        return "resubmit" if status == S.CHANGES_REQUESTED else "submit"
    if action == "withdraw" and Actor.SIGNATORY not in actors:
        return "withdraw_for_applicant"
    return action


# --- 3. Four eyes, budget, partial approvals, releases, multi-year --------------------------------------------------

@pytest.fixture
def recommended(seeded):
    org = OrganisationFactory(kind="landkreis")
    app = application(organisation=org)
    Application.objects.filter(pk=app.pk).update(status=S.RECOMMENDED, file_number="WIR-2027-FM-9001")
    app.refresh_from_db()
    return app


@pytest.fixture
def both_roles(seeded):
    from django.contrib.auth.models import Group

    user = staff("Sachbearbeitung")
    user.groups.add(Group.objects.get(name="Bewilligung"))
    return user


@pytest.mark.django_db
def test_four_eyes_recommender_cannot_approve(settings, both_roles, recommended):
    settings.WIR_FOUR_EYES_THRESHOLD = "0"
    Application.objects.filter(pk=recommended.pk).update(status=S.IN_REVIEW)
    recommended.refresh_from_db()
    services.application_recommend(application=recommended, user=both_roles, recommendation="approve")
    with pytest.raises(services.ApplicationError, match="Vier-Augen-Prinzip"):
        services.application_decide(application=recommended, user=both_roles, action="approve")
    assert not LedgerEntry.objects.filter(application=recommended).exists()
    other = staff("Bewilligung")
    services.application_decide(application=recommended, user=other, action="approve")
    recommended.refresh_from_db()
    assert recommended.status == S.APPROVED and recommended.decided_by == other


@pytest.mark.django_db
def test_four_eyes_threshold_allows_small_amounts(settings, both_roles, recommended):
    settings.WIR_FOUR_EYES_THRESHOLD = "20000"
    Application.objects.filter(pk=recommended.pk).update(recommended_by=both_roles)
    recommended.refresh_from_db()
    with pytest.raises(services.ApplicationError, match="über 20.000,00 €"):
        services.application_decide(application=recommended, user=both_roles, action="approve")
    partially_approve(recommended, both_roles, "20000.00", "Nur Sachkosten förderfähig")
    recommended.refresh_from_db()
    assert recommended.status == S.PARTIALLY_APPROVED and recommended.approved_amount == Decimal("20000.00")


@pytest.mark.django_db
def test_over_budget_approval_is_refused_naming_line_year_available(recommended):
    r = recommended.rule
    LineRule.objects.filter(pk=r.pk).update(allocation=Decimal("30000.00"))
    with pytest.raises(services.ApplicationError) as exc:
        services.application_decide(application=recommended, user=staff("Bewilligung"), action="approve")
    text = str(exc.value)
    assert r.line.name in text and "2027" in text and "30.000,00 €" in text and "verfügbar" in text
    recommended.refresh_from_db()
    assert recommended.status == S.RECOMMENDED and recommended.approved_amount is None
    assert not LedgerEntry.objects.filter(application=recommended).exists()


@pytest.mark.django_db
def test_approval_above_requested_or_caps_is_refused(recommended):
    decider = staff("Bewilligung")
    with pytest.raises(services.ApplicationError, match="höchstens der beantragte Betrag"):
        services.application_decide(application=recommended, user=decider, action="approve", amount=Decimal("50000.01"))
    LineRule.objects.filter(pk=recommended.rule_id).update(cap_per_application=Decimal("40000.00"))
    recommended.refresh_from_db()
    with pytest.raises(services.ApplicationError, match="übersteigt den Höchstbetrag"):
        services.application_decide(application=recommended, user=decider, action="approve")


@pytest.mark.django_db
def test_partial_approval_commits_the_partial_amount_and_needs_reasons(recommended):
    from applications.decisions import application_partially_approve

    decider = staff("Bewilligung")
    item = recommended.cost_items.get()  # 68,000 personnel; own funds 18,000; requested 50,000 (Fehlbedarf)
    with pytest.raises(services.ApplicationError, match="begründen"):
        application_partially_approve(application=recommended, user=decider, lines={item.pk: (Decimal("58000"), "")})
    with pytest.raises(services.ApplicationError, match="keine Teilbewilligung"):
        application_partially_approve(application=recommended, user=decider,
                                      lines={item.pk: (Decimal("68000"), "x")})
    with pytest.raises(services.ApplicationError, match="je Kostenposition"):  # a bare amount is no longer enough
        services.application_decide(application=recommended, user=decider, action="partially_approve",
                                    amount=Decimal("40000"), reasons="x")
    with pytest.raises(services.ApplicationError, match="Teilbewilligung"):
        services.application_decide(application=recommended, user=decider, action="approve", amount=Decimal("40000"))
    before = budget_figures(rule=recommended.rule).committed
    application_partially_approve(application=recommended, user=decider,
                                  lines={item.pk: (Decimal("58000"), "Besetzung erst ab März")})
    recommended.refresh_from_db()
    item.refresh_from_db()
    assert recommended.status == S.PARTIALLY_APPROVED
    assert recommended.approved_amount == Decimal("40000.00")  # 58,000 eligible − 18,000 own funds
    assert item.approved_amount == Decimal("58000.00") and item.exclusion_reason == "Besetzung erst ab März"
    assert budget_figures(rule=recommended.rule).committed - before == Decimal("40000.00")
    assert PlanYear.objects.get(application=recommended).approved_grant == Decimal("40000.00")
    assert recommended.notices.filter(kind="approval").count() == 1


@pytest.mark.django_db
def test_amendment_releases_and_recommits(recommended):
    from applications.decisions import amendment_decide, amendment_recommend, amendment_request_create

    decider, reviewer = staff("Bewilligung"), staff("Sachbearbeitung")
    signer = UserFactory()
    member(signer, recommended.organisation)
    services.application_decide(application=recommended, user=decider, action="approve")
    r = recommended.rule
    committed_after_approval = budget_figures(rule=r).committed

    def amend(amount, reasons):
        a = amendment_request_create(application=recommended, user=signer, reasons=reasons,
                                     year_amounts={2027: Decimal(amount)})
        amendment_recommend(amendment=a, user=reviewer, recommendation="approve")
        return amendment_decide(amendment=a, user=decider, approve=True)

    amend("30000", "Stelle nur zu 60 % besetzt")  # the applicant's own request: release 20,000
    release = LedgerEntry.objects.get(application=recommended, kind=LedgerKind.RELEASE)
    assert release.amount == Decimal("20000.00") and release.created_by == decider
    assert budget_figures(rule=r).committed == committed_after_approval - Decimal("20000.00")
    amend("45000", "Aufstockung auf 90 %")
    assert budget_figures(rule=r).committed == committed_after_approval - Decimal("5000.00")
    recommended.refresh_from_db()
    assert recommended.approved_amount == Decimal("45000.00")
    assert recommended.notices.filter(kind="amendment").count() == 2
    with pytest.raises(services.ApplicationError, match="nicht gedeckt"):  # 68,000 − 18,000 carries at most 50,000
        amendment_request_create(application=recommended, user=signer, reasons="x",
                                 year_amounts={2027: Decimal("60000")})


def _multi_year_application(amount_2026="5000.00", amount_2027="5200.00"):
    org = OrganisationFactory(kind="migrantenorganisation")
    app = application(organisation=org, code="migrantenorganisationen", year=2026, grant=amount_2026,
                      costs=amount_2026, details={"micro_project": "3000", "minijob": "7200"})
    from applications.models import CostItem

    CostItem.objects.create(application=app, year=2027, category="personnel", description="Minijob",
                            amount=Decimal(amount_2027))
    PlanYear.objects.create(application=app, year=2027, requested_grant=Decimal(amount_2027))
    services.plan_totals_refresh(application=app)
    Application.objects.filter(pk=app.pk).update(status=S.RECOMMENDED, file_number="WIR-2026-MO-9001")
    app.refresh_from_db()
    return app


@pytest.mark.django_db
def test_multi_year_split_books_each_year_against_its_budget(seeded):
    app = _multi_year_application()
    services.application_decide(application=app, user=staff("Bewilligung"), action="approve",
                                split={2026: Decimal("5000.00"), 2027: Decimal("5200.00")})
    entries = {e.rule.programme_year.year: e.amount for e in LedgerEntry.objects.filter(application=app)
               .select_related("rule__programme_year")}
    assert entries == {2026: Decimal("5000.00"), 2027: Decimal("5200.00")}
    assert dict(PlanYear.objects.filter(application=app).values_list("year", "approved_grant")) == entries


@pytest.mark.django_db
def test_multi_year_split_is_all_or_nothing(seeded):
    app = _multi_year_application()
    r2027 = rule("migrantenorganisationen", 2027)
    LineRule.objects.filter(pk=r2027.pk).update(allocation=budget_figures(rule=r2027).committed + Decimal("100"))
    with pytest.raises(services.ApplicationError, match="2027"):
        services.application_decide(application=app, user=staff("Bewilligung"), action="approve",
                                    split={2026: Decimal("5000.00"), 2027: Decimal("5200.00")})
    assert not LedgerEntry.objects.filter(application=app).exists()  # 2026 was rolled back too
    app.refresh_from_db()
    assert app.status == S.RECOMMENDED
    with pytest.raises(services.ApplicationError, match="Jahresbeträge"):
        services.application_decide(application=app, user=staff("Bewilligung"), action="approve",
                                    amount=Decimal("10200.00"), split={2026: Decimal("5000"), 2027: Decimal("1")})


@pytest.mark.django_db
def test_audit_entries_survive_user_deletion(recommended):
    decider = staff("Bewilligung", first_name="Berta", last_name="Bescheid")
    services.application_decide(application=recommended, user=decider, action="approve")
    decider_pk = decider.pk
    get_user_model().objects.filter(pk=decider_pk).delete()
    event = Event.objects.get(application=recommended, action="approve")
    assert event.actor is None and event.actor_name == "Berta Bescheid"
    assert event.from_status == S.RECOMMENDED and event.to_status == S.APPROVED
    entry = LedgerEntry.objects.get(application=recommended)
    assert entry.created_by is None and entry.created_by_name == "Berta Bescheid"
    assert Event.objects.filter(application=recommended, action="budget_commit", amount=Decimal("50000.00")).exists()
