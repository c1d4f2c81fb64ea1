"""Invariants of ARCHITECTURE.md, checked over the demo data (built through the real services)."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from applications.models import Application, Event
from applications.workflow import FUNDED, TRANSITIONS, Status
from funding.models import LineRule
from funding.services import committed_for_application, ledger_totals

pytestmark = pytest.mark.django_db


def test_ledger_matches_approved_amounts_and_never_exceeds_allocations(demo):
    funded = Application.objects.filter(status__in=FUNDED)
    assert funded.count() == 6  # 2026: two case-management posts; 2026–2030: three Vielfaltszentren; MO 2027–2028
    for app in funded:
        assert committed_for_application(application_id=app.pk) == app.approved_amount
    totals = ledger_totals()
    for rule in LineRule.objects.filter(pk__in=totals):
        assert totals[rule.pk]["committed"] <= rule.allocation
        assert totals[rule.pk]["authority_committed"] <= (rule.commitment_authority or 0)  # the VE of later years
    approved_sum = funded.aggregate(s=Sum("approved_amount"))["s"]
    assert sum((t["committed"] + t["authority_committed"] for t in totals.values()), Decimal("0")) == approved_sum


def test_paid_never_exceeds_committed_per_rule(seeded, django_capture_on_commit_callbacks):
    """committed − released ≥ paid − refunded for every rule, with the demo's executed payment run and the
    revocation demo's refunds (applications/revocation) in the ledger."""
    from applications.demo import seed_demo

    with django_capture_on_commit_callbacks(execute=True):
        seed_demo()
    totals = ledger_totals()
    assert any(t["paid"] > 0 for t in totals.values())
    assert any(t["refunded"] > 0 for t in totals.values())
    for rule_id, t in totals.items():
        assert t["committed"] >= t["paid"] - t["refunded"], rule_id


def test_every_status_change_follows_the_workflow_table(demo):
    edges = {(src, t.target, t.action) for t in TRANSITIONS.values() for src in t.sources}
    changes = Event.objects.exclude(from_status="").exclude(from_status__isnull=True).exclude(action="amend")
    assert changes.exists()
    for event in changes:
        assert (event.from_status, event.to_status, event.action) in edges, event


def test_demo_covers_the_states_a_reviewer_meets(demo):
    states = set(Application.objects.values_list("status", flat=True))
    assert {Status.DRAFT, Status.SUBMITTED, Status.IN_REVIEW, Status.RECOMMENDED, Status.CHANGES_REQUESTED,
            Status.APPROVED, Status.PARTIALLY_APPROVED, Status.REJECTED} <= states
    submitted = Application.objects.exclude(status=Status.DRAFT)
    assert all(a.file_number and a.file_number.startswith(f"WIR-{a.rule.programme_year.year}-") for a in submitted)
