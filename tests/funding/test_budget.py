from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from funding.models import LedgerEntry, LineRule, ProgrammeYear
from funding.services import BudgetError, budget_commit, budget_figures, budget_release, programme_year_save, rule_save
from tests.factories import OrganisationFactory, application, rule

pytestmark = pytest.mark.django_db


def test_seeded_allocations_stay_within_each_years_volume(seeded):
    for year in ProgrammeYear.objects.all():
        total = sum((r.allocation for r in year.rules.all()), Decimal("0"))
        if year.budget_enacted:
            assert 0 < total <= year.volume, year.year
        else:  # a later year of the period: no budget yet, only commitment authority
            assert total == year.volume == 0, year.year
            assert sum((r.commitment_authority or 0 for r in year.rules.all()), Decimal("0")) > 0, year.year


def test_seed_volumes_match_programme_documents(seeded):
    volumes = dict(ProgrammeYear.objects.values_list("year", "volume"))
    assert volumes[2014] == volumes[2015] == Decimal("3100000.00")
    assert volumes[2016] == Decimal("4600000.00")
    assert volumes[2017] == Decimal("8850000.00")
    assert volumes[2018] == volumes[2026] == Decimal("10050000.00")
    assert rule("fallmanagement", 2017).allocation == Decimal("1650000.00")


def test_allocation_over_volume_is_refused_with_message(seeded):
    r = rule("integrationsprojekte", 2027)
    year = r.programme_year
    others = sum((x.allocation for x in year.rules.exclude(pk=r.pk)), Decimal("0"))
    r.allocation = year.volume - others + Decimal("0.01")
    with pytest.raises(BudgetError, match="Programmvolumen"):
        rule_save(rule=r)
    r.allocation = year.volume - others
    rule_save(rule=r)
    assert LineRule.objects.get(pk=r.pk).allocation == year.volume - others


def test_volume_cannot_drop_below_allocations(seeded):
    year = ProgrammeYear.objects.get(year=2027)
    year.volume = Decimal("1000.00")
    with pytest.raises(BudgetError, match="Mittelansätze"):
        programme_year_save(programme_year=year)


def test_caps_must_not_be_negative(seeded):
    r = rule("integrationsprojekte", 2027)
    with pytest.raises(IntegrityError), transaction.atomic():
        LineRule.objects.filter(pk=r.pk).update(cap_per_post=Decimal("-1"))
    with pytest.raises(IntegrityError), transaction.atomic():
        LineRule.objects.filter(pk=r.pk).update(allocation=Decimal("-1"))


def test_ledger_commit_release_and_available(seeded):
    r = rule("integrationsprojekte", 2027)
    org = OrganisationFactory(kind="landkreis")
    app = application(organisation=org)
    before = budget_figures(rule=r)
    budget_commit(rule=r, application=app, amount=Decimal("50000"), user=None, reason="test")
    budget_release(rule=r, application=app, amount=Decimal("10000"), user=None, reason="Teilverzicht")
    after = budget_figures(rule=r)
    assert after.committed - before.committed == Decimal("40000.00")
    assert after.available == r.allocation - after.committed
    assert LedgerEntry.objects.filter(application=app).count() == 2
    with pytest.raises(BudgetError):
        budget_release(rule=r, application=app, amount=Decimal("40000.01"), user=None, reason="zu viel")


def test_commit_beyond_allocation_names_line_year_and_available(seeded):
    r = rule("laiendolmetscher", 2027)
    org = OrganisationFactory()
    app = application(organisation=org, code="laiendolmetscher", details={})
    with pytest.raises(BudgetError) as exc:
        budget_commit(rule=r, application=app, amount=r.allocation + 1, user=None)
    message = str(exc.value)
    assert "Ehrenamtliche Laiendolmetscher" in message and "2027" in message and "verfügbar" in message
