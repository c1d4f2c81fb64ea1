"""factory_boy factories and small helpers for building applications in tests."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from applications.models import Application, CostItem, Membership, Organisation, PlanYear, Role
from funding.models import LineRule, OrganisationKind

PASSWORD = "test-passwort-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}@test.wir")
    email = factory.LazyAttribute(lambda o: o.username)
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Person {n}")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save()


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Testverein {n} e. V.")
    kind = OrganisationKind.FREIER_TRAEGER
    regierungsbezirk = "Darmstadt"
    email = factory.Sequence(lambda n: f"org{n}@test.wir")
    street = "Teststraße 1"
    postcode = "64283"
    city = "Darmstadt"
    non_profit = True
    verified_at = factory.LazyFunction(timezone.now)
    iban = "DE89370400440532013000"  # a valid test IBAN: no approval without a bank account (issue 12)
    account_holder = factory.LazyAttribute(lambda o: o.name)


# What a signatory declares at submission (issue 12); pass as application_submit(..., declarations=DECLARATIONS).
DECLARATIONS = {"not_started": True, "correct_complete": True, "electronic_delivery": True, "vat": "nein",
                "other_funding": "keine", "other_funding_details": ""}
DECLARATION_POST = {"not_started": "on", "correct_complete": "on", "electronic_delivery": "on", "vat": "nein",
                    "other_funding": "keine"}


def member(user, organisation, role=Role.SIGNATORY) -> Membership:
    return Membership.objects.create(user=user, organisation=organisation, role=role)


def staff(group_name: str | None = None, **kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    if group_name:
        user.groups.add(Group.objects.get(name=group_name))
    return user


def rule(code: str, year: int = 2027) -> LineRule:
    """The yearly rule of a line (historic lines only in the years they existed: pass the year)."""
    return LineRule.objects.select_related("line", "programme_year").get(line__code=code, programme_year__year=year)


def application(*, organisation, code="integrationsprojekte", year=2027, grant="50000.00", costs="68000.00", own=None,
                details=None, user=None, **kwargs) -> Application:
    """A complete draft (plan balanced, details filled) ready to be submitted once attachments are added.

    Default: Integrations- und Teilhabeprojekte 2027, a line of the programme as it runs now (Fehlbedarf, no cap,
    the 33 and every other municipality and Träger eligible, attachments Konzeption and Finanzplan). The historic
    lines (Koordination, Fallmanagement until 2020; MitSprache, Sprachkurse, Projekte until 2025) need their year."""
    r = rule(code, year)
    grant, costs = Decimal(grant), Decimal(costs)
    own = Decimal(own) if own is not None else costs - grant
    defaults = {
        "integrationsprojekte": {"project_kind": "Willkommens- und Anerkennungskultur"},
        "vielfaltszentren": {"coordination_posts": "2", "pay_group": "E 11"},  # cap 2 × 60.000 € a year
        "fallmanagement": {"posts": "1.0", "pay_group": "S 12"},
        "koordination": {"posts": "1.0", "pay_group": "E 11"},
        "migrantenorganisationen": {"micro_project": "3000", "minijob": "7200"},
        "lotsen": {"coordinating_lotsen": 2, "other_lotsen": 10, "hours": 3000},
    }.get(code, {})
    app = Application.objects.create(
        organisation=organisation, rule=r, title=kwargs.pop("title", "Testvorhaben"),
        purpose="Zweck des Testvorhabens", contact_name="Test Person", contact_email="kontakt@test.wir",
        period_start=datetime.date(year, 1, 1), period_end=datetime.date(year, 12, 31),
        details=details if details is not None else defaults, created_by=user, **kwargs,
    )
    CostItem.objects.create(application=app, year=year, category="personnel", description="Personal", amount=costs)
    PlanYear.objects.create(application=app, year=year, own_funds=own, requested_grant=grant)
    from applications.services import plan_totals_refresh

    plan_totals_refresh(application=app)
    return app


def attach_required(app, user=None) -> None:
    from django.core.files.base import ContentFile

    from applications.demo import _DEMO_PDF
    from applications.portal.uploads import attachment_store

    for kind in app.rule.required_attachments:
        attachment_store(application=app, user=user, kind=kind, upload=ContentFile(_DEMO_PDF, name=f"{kind}.pdf"),
                         check_editable=False)


def partial_lines(app, amount, reason: str = "Nicht zuwendungsfähig.") -> dict:
    """Line decisions (cost item id -> (eligible, reason)) under which a one-year application's grant becomes
    `amount`: the eligible total is set from the financing type's formula, reducing the last lines first."""
    from applications.models import PlanYear

    amount = Decimal(amount)
    app.rule.refresh_from_db()
    plan = PlanYear.objects.get(application=app)
    kind = app.rule.financing_type
    if kind == "fehlbedarf":
        eligible = amount + plan.own_funds + plan.third_party_funds + plan.other_public_funds
    elif kind == "voll":
        eligible = amount + plan.third_party_funds + plan.other_public_funds
    elif kind == "anteil":
        eligible = (amount * 100 / app.rule.funding_rate).quantize(Decimal("0.01"))
    else:
        eligible = amount
    items = list(app.cost_items.order_by("year", "id"))
    cut = sum((i.amount for i in items), Decimal("0")) - eligible
    lines = {}
    for item in reversed(items):
        take = min(item.amount, max(cut, Decimal("0")))
        cut -= take
        lines[item.pk] = (item.amount - take, reason if take else "")
    return lines


def partially_approve(app, user, amount, reasons: str = "Nicht zuwendungsfähig."):
    from applications.decisions import application_partially_approve

    return application_partially_approve(application=app, user=user, lines=partial_lines(app, amount, reasons),
                                         reasons=reasons)


def multi_year_application(*, organisation, code: str, year: int, grants: dict[int, str], details=None,
                           start=None, end=None, status=None, file_number=None, recommended_by=None) -> Application:
    """An application over several budget years: one plan year per entry of `grants` (costs = grant), period from
    1 January of the first to 31 December of the last year unless given (budget: multi-year lines and VE)."""
    from applications.services import plan_totals_refresh

    r = rule(code, year)
    years = sorted(grants)
    app = Application.objects.create(
        organisation=organisation, rule=r, title="Mehrjähriges Testvorhaben", purpose="Zweck",
        contact_name="Test Person", contact_email="kontakt@test.wir", details=details or {},
        period_start=start or datetime.date(years[0], 1, 1), period_end=end or datetime.date(years[-1], 12, 31),
    )
    for y in years:
        CostItem.objects.create(application=app, year=y, category="personnel", description="Personal",
                                amount=Decimal(grants[y]))
        PlanYear.objects.create(application=app, year=y, requested_grant=Decimal(grants[y]))
    plan_totals_refresh(application=app)
    if status is not None:
        Application.objects.filter(pk=app.pk).update(status=status, file_number=file_number,
                                                     recommended_by=recommended_by, submitted_at=timezone.now())
        app.refresh_from_db()
    return app


def yearly_centre_round(year: int = 2027) -> LineRule:
    """A test rig: the WIR-Vielfaltszentren as a yearly round of the open year — without their funding period, with
    that year's deadline. The real line takes one application for the whole period 2026–2030, in 2026 (a year now
    closed); no other line of the open year has a cap per post, only the 33 and one application per entity, so
    tests of those rules through the portal use this."""
    LineRule.objects.filter(line__code="vielfaltszentren", programme_year__year=year).update(
        funding_period=None, max_months=12, deadline=datetime.date(year - 1, 12, 31))
    return rule("vielfaltszentren", year)
