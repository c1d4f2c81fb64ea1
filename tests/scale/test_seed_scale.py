"""seed_scale produces data that obeys the portal's invariants (ledger, allocations, workflow, file numbers)."""

import re
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Count, Q, Sum

from applications.models import Application, CostItem, Event, FileNumberCounter, Membership, Notice, PlanYear
from applications.services import file_number_assign
from applications.workflow import FUNDED, TRANSITIONS, Status
from funding.models import LedgerEntry, LedgerKind, LineRule
from funding.services import ledger_totals
from wir_portal.bench.scale import OWNER_EMAIL, OWNER_ORG_NAME

pytestmark = pytest.mark.django_db

N = 400


@pytest.fixture
def scaled(seeded):
    call_command("seed_scale", applications=N, organisations=60, seed=11, owner_applications=40, verbosity=0)


def test_counts_and_statuses(scaled):
    assert Application.objects.count() == N
    statuses = Counter(Application.objects.values_list("status", flat=True))
    assert set(statuses) <= set(Status.values)
    # every state of the workflow occurs at this size, funded ones included
    assert {Status.DRAFT, Status.SUBMITTED, Status.IN_REVIEW, Status.APPROVED, Status.REJECTED,
            Status.WITHDRAWN} <= set(statuses)
    assert Application.objects.filter(organisation__name=OWNER_ORG_NAME).count() == 40
    assert Membership.objects.filter(user__username=OWNER_EMAIL, organisation__name=OWNER_ORG_NAME).exists()


def test_ledger_matches_approved_amounts_and_never_overspends(scaled):
    committed = {
        row["application_id"]: row["c"] - row["r"]
        for row in LedgerEntry.objects.values("application_id").annotate(
            c=Sum("amount", filter=Q(kind=LedgerKind.COMMITMENT), default=Decimal("0")),
            r=Sum("amount", filter=Q(kind=LedgerKind.RELEASE), default=Decimal("0")),
        )
    }
    funded = list(Application.objects.filter(status__in=FUNDED))
    assert funded
    for app in funded:
        assert committed.get(app.pk) == app.approved_amount, app.file_number
        approved_plan = app.plan_years.aggregate(t=Sum("approved_grant"))["t"]
        assert approved_plan == app.approved_amount
        assert 0 < app.approved_amount <= app.requested_amount
    unfunded = set(Application.objects.exclude(status__in=FUNDED).values_list("pk", flat=True))
    assert not unfunded & set(committed)
    assert not Application.objects.exclude(status__in=FUNDED).filter(approved_amount__isnull=False).exists()
    totals = ledger_totals()
    for rule in LineRule.objects.all():
        t = totals.get(rule.pk, {"committed": Decimal("0"), "authority_committed": Decimal("0"), "paid": Decimal("0")})
        assert t["committed"] <= rule.allocation, rule
        assert t["authority_committed"] <= (rule.commitment_authority or 0), rule  # VE of years not enacted
        assert t["paid"] <= t["committed"]
    # ledger rows are booked on the rule of the plan year they pay for
    for entry in LedgerEntry.objects.select_related("rule__programme_year", "application__rule")[:200]:
        assert entry.rule.line_id == entry.application.rule.line_id
        assert PlanYear.objects.filter(application=entry.application, year=entry.rule.programme_year.year).exists()


def test_plans_balance_and_totals(scaled):
    for app in Application.objects.annotate(n=Count("plan_years")).filter(n__gt=0)[:150]:
        plan_years = list(app.plan_years.all())
        assert sum(p.requested_grant for p in plan_years) == app.requested_amount
        costs = CostItem.objects.filter(application=app).aggregate(t=Sum("amount"))["t"]
        assert costs == app.total_costs
        for p in plan_years:
            year_costs = CostItem.objects.filter(application=app, year=p.year).aggregate(t=Sum("amount"))["t"]
            assert p.total_income == year_costs  # income = expenses per budget year
    assert not PlanYear.objects.filter(application__isnull=True).exists()


def test_event_trail_follows_the_workflow(scaled):
    transitions = set(TRANSITIONS)
    for app in Application.objects.prefetch_related("events")[:N]:
        steps = [e for e in app.events.all() if e.action in transitions]
        state = Status.DRAFT
        for e in steps:
            t = TRANSITIONS[e.action]
            assert e.from_status == state and state in t.sources and e.to_status == t.target, (app.pk, e.action)
            state = e.to_status
        assert state == app.status
        if app.status in FUNDED:
            assert any(e.action == "budget_commit" and not e.visible_to_applicant for e in app.events.all())
    assert Event.objects.filter(action="submit").count() == Application.objects.filter(
        submitted_at__isnull=False).count()


def test_file_numbers_unique_and_counters_continue(scaled):
    numbers = list(Application.objects.exclude(file_number=None).values_list("file_number", flat=True))
    assert len(numbers) == len(set(numbers))
    highest: dict[tuple[int, str], int] = {}
    for number in numbers:
        m = re.fullmatch(r"WIR-(\d{4})-([A-Z]+)-(\d+)", number)
        assert m, number
        key = (int(m.group(1)), m.group(2))
        highest[key] = max(highest.get(key, 0), int(m.group(3)))
    for (year, short), last in highest.items():
        assert FileNumberCounter.objects.get(year=year, line_short=short).last >= last
    # a real submission afterwards continues the sequence without collision
    draft = Application.objects.filter(status=Status.DRAFT, file_number=None).select_related(
        "rule__programme_year", "rule__line").first()
    new_number = file_number_assign(application=draft)
    assert new_number not in set(numbers)
    # drafts never had a file number or a receipt
    assert not Application.objects.filter(status=Status.DRAFT).exclude(file_number=None).exists()


def test_notices_sent_without_pdfs(scaled):
    assert Notice.objects.exists()
    assert set(Notice.objects.values_list("status", flat=True)) == {"sent"}
    assert not Notice.objects.exclude(pdf="").exists()
    decided = Application.objects.filter(status__in=[*FUNDED, Status.REJECTED])
    assert Notice.objects.filter(application__in=decided, kind__in=["approval", "rejection"]).count() == decided.count()


def test_second_run_adds_and_keeps_invariants(scaled):
    call_command("seed_scale", applications=100, organisations=10, seed=12, owner_applications=0, verbosity=0)
    assert Application.objects.count() == N + 100
    numbers = list(Application.objects.exclude(file_number=None).values_list("file_number", flat=True))
    assert len(numbers) == len(set(numbers))
    totals = ledger_totals()
    for rule in LineRule.objects.all():
        assert totals.get(rule.pk, {"committed": Decimal("0")})["committed"] <= rule.allocation


def test_multi_year_approvals_book_later_years_on_the_commitment_authority(scaled):
    """Vielfaltszentren are approved for the whole period 2026–2030: 2026–2027 on the allocations, 2028–2030 on
    the VE (years without an enacted budget); nothing on a VE is paid; no application starts in such a year."""
    from funding.models import LedgerSource

    centres = Application.objects.filter(rule__line__code="vielfaltszentren", rule__programme_year__year=2026,
                                         status__in=FUNDED)
    assert centres.exists()
    for app in centres[:20]:
        rows = sorted(LedgerEntry.objects.filter(application=app, kind=LedgerKind.COMMITMENT)
                      .values_list("rule__programme_year__year", "source"))
        assert rows == [(2026, LedgerSource.ALLOCATION), (2027, LedgerSource.ALLOCATION),
                        (2028, LedgerSource.AUTHORITY), (2029, LedgerSource.AUTHORITY),
                        (2030, LedgerSource.AUTHORITY)], app.file_number
    assert not LedgerEntry.objects.filter(kind=LedgerKind.PAYMENT, rule__programme_year__budget_enacted=False).exists()
    assert not Application.objects.filter(rule__programme_year__budget_enacted=False).exists()
    assert not Application.objects.filter(rule__line__code="vielfaltszentren", rule__programme_year__year=2027).exists()


def test_seed_scale_gives_the_revocation_pages_data_by_default(seeded):
    """The benchmark's revocation pages measure real rows: seed_scale opens applications / 500 proceedings unless told
    otherwise (1,000 applications -> 2)."""
    import io

    from django.core.management import call_command

    from applications.models import Revocation

    call_command("seed_scale", applications=1000, organisations=40, seed=31, owner_applications=10, verbosity=0,
                 stdout=io.StringIO())
    assert Revocation.objects.count() == 2
