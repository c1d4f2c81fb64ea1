"""Historic lines only for the years they existed (issue 12): Koordination and Fallmanagement until 2020 (bundled
into the WIR-Vielfaltszentren from 2021), MitSprache, Sprachkurse and WIR-Projekte until 2025; the current lines from
2026. Migration funding/0008_lines_historic does the same for a database seeded before; a rule that is in use is
closed for new applications instead of deleted."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from applications import rules, services
from applications.models import Application
from applications.workflow import Status
from funding.models import FundingLine, LedgerEntry, LineRule, ProgrammeYear
from funding.services import budget_commit
from tests.factories import DECLARATIONS, OrganisationFactory, UserFactory, application, attach_required, member, rule

D = Decimal
migration = importlib.import_module("funding.migrations.0008_lines_historic")


def years_of(code):
    return sorted(LineRule.objects.filter(line__code=code).values_list("programme_year__year", flat=True))


@pytest.mark.django_db
def test_seed_keeps_each_line_for_the_years_it_existed(seeded):
    assert years_of("koordination") == list(range(2014, 2021))
    assert years_of("fallmanagement") == list(range(2017, 2021))
    for code in ("mitsprache", "sprachkurse", "projekte"):
        assert max(years_of(code)) == 2025
    assert years_of("vielfaltszentren") == list(range(2021, 2031))
    assert years_of("integrationsprojekte")[0] == 2026 and years_of("kiv")[0] == 2026
    historic = rule("vielfaltszentren", 2021)
    assert historic.funding_period_id is None and historic.max_months == 12 and historic.limits == {}
    assert rule("vielfaltszentren", 2022).limits == {"staff_post": "20000", "micro_projects": "5000"}
    assert rule("vielfaltszentren", 2026).funding_period_id is not None


@pytest.mark.django_db
def test_successors_carry_the_planning_shares(seeded):
    # 2021: 10.050.000 € volume, 90 % planned = 9.045.000 €, divided by the shares of the eight original lines (0,99);
    # the Vielfaltszentren carry Koordination (0,30) + Fallmanagement (0,20): 9.045.000 × 0,50 / 0,99 = 4.568.181,82
    assert rule("vielfaltszentren", 2021).allocation == D("4568182")
    # before and after the bundling, the sum of the year is the same: 0,99 of 9.045.000 = 9.045.000 (± rounding)
    totals = {y: sum(LineRule.objects.filter(programme_year__year=y).values_list("allocation", flat=True))
              for y in (2020, 2021)}
    assert totals[2020] == totals[2021] == D("9045001")
    # from 2026 the Integrations- und Teilhabeprojekte carry the WIR-Projekte's share: 9.045.000 × 0,10 / 0,99
    assert rule("integrationsprojekte", 2027).allocation == rule("projekte", 2025).allocation == D("913636")
    assert rule("lotsen", 2027).allocation == rule("lotsen", 2020).allocation  # unchanged by the end of others


def _rule(code, year, allocation):
    line = FundingLine.objects.get(code=code)
    return LineRule.objects.create(programme_year=ProgrammeYear.objects.get(year=year), line=line,
                                   allocation=D(allocation), eligible_kinds=["landkreis"],
                                   financing_type="fehlbedarf")


@pytest.mark.django_db
def test_migration_deletes_unused_rules_closes_used_ones_and_moves_allocations(seeded):
    """A database seeded before: rules of the ended lines in later years, no Vielfaltszentren before 2026."""
    LineRule.objects.filter(line__code="vielfaltszentren", programme_year__year__lte=2025).delete()
    ip_before = rule("integrationsprojekte", 2027).allocation
    _rule("koordination", 2022, "100000")
    _rule("fallmanagement", 2022, "50000")
    used = _rule("fallmanagement", 2026, "70000")
    _rule("koordination", 2027, "30000")
    _rule("projekte", 2027, "40000")
    booked = _rule("mitsprache", 2027, "20000")
    org = OrganisationFactory(kind="landkreis")
    Application.objects.create(organisation=org, rule=used, title="Alt", purpose="x")
    app = Application.objects.create(organisation=org, rule=rule("lotsen", 2027), title="Gebucht", purpose="x")
    LedgerEntry.objects.create(rule=booked, application=app, kind="commitment", amount=D("10.00"))

    migration.forwards(django_apps, None)

    assert years_of("koordination") == list(range(2014, 2021))  # 2022 and 2027: nothing referred to them
    assert years_of("fallmanagement") == [*range(2017, 2021), 2026]
    used.refresh_from_db()
    booked.refresh_from_db()
    assert not used.accepts_applications and used.allocation == D("70000")  # kept as it was, closed
    assert not booked.accepts_applications  # a ledger row refers to it
    assert rule("lotsen", 2027).accepts_applications
    # 2022: the new Vielfaltszentren rule takes 100.000 + 50.000; 2021: nothing was freed
    assert rule("vielfaltszentren", 2022).allocation == D("150000")
    assert rule("vielfaltszentren", 2022).limits == {"staff_post": "20000", "micro_projects": "5000"}
    assert rule("vielfaltszentren", 2021).allocation == D("0") and rule("vielfaltszentren", 2021).max_months == 12
    # 2027: the WIR-Projekte's 40.000 € go to the Integrations- und Teilhabeprojekte; Koordination's 30.000 € stay free
    assert rule("integrationsprojekte", 2027).allocation == ip_before + D("40000")
    migration.forwards(django_apps, None)  # a second run changes nothing
    assert rule("vielfaltszentren", 2022).allocation == D("150000")
    assert rule("integrationsprojekte", 2027).allocation == ip_before + D("40000")


@pytest.mark.django_db
def test_a_closed_rule_takes_no_new_application_and_no_submission(seeded, client):
    entity = OrganisationFactory(kind="landkreis")
    user = UserFactory()
    member(user, entity)
    r = rule("integrationsprojekte", 2027)
    draft = application(organisation=entity, user=user)
    attach_required(draft, user)
    submitted = application(organisation=entity, user=user, title="Schon eingereicht")
    Application.objects.filter(pk=submitted.pk).update(status=Status.SUBMITTED, file_number="WIR-2027-IP-0077")
    LineRule.objects.filter(pk=r.pk).update(accepts_applications=False)
    r.refresh_from_db()

    message = ("Für „Integrations- und Teilhabeprojekte“ werden für 2027 keine neuen Anträge angenommen; bitte "
               "wählen Sie einen aktuellen Förderbereich.")
    assert services.application_start_problem(organisation=entity, rule=r) == message
    draft.refresh_from_db()
    assert message in [p.message for p in rules.completeness_problems(application=draft)]
    with pytest.raises(services.ApplicationError, match="keine neuen Anträge"):
        services.application_submit(application=draft, user=user, declarations=DECLARATIONS)
    client.force_login(user)
    dashboard = client.get(reverse("portal:dashboard"))
    assert r.pk not in {i["rule"].pk for i in dashboard.context["lines"]}
    assert client.get(reverse("portal:application_new", args=["integrationsprojekte"])).status_code == 404
    # what was submitted before stays decidable and bookable
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    budget_commit(rule=r, application=submitted, amount=D("100.00"), user=None)
    assert LedgerEntry.objects.filter(application=submitted).count() == 1
