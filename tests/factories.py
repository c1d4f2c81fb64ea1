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


def member(user, organisation, role=Role.SIGNATORY) -> Membership:
    return Membership.objects.create(user=user, organisation=organisation, role=role)


def staff(group_name: str | None = None, **kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    if group_name:
        user.groups.add(Group.objects.get(name=group_name))
    return user


def rule(code: str, year: int = 2027) -> LineRule:
    return LineRule.objects.select_related("line", "programme_year").get(line__code=code, programme_year__year=year)


def application(*, organisation, code="fallmanagement", year=2027, grant="50000.00", costs="68000.00", own=None,
                details=None, user=None, **kwargs) -> Application:
    """A complete draft (plan balanced, details filled) ready to be submitted once attachments are added."""
    r = rule(code, year)
    grant, costs = Decimal(grant), Decimal(costs)
    own = Decimal(own) if own is not None else costs - grant
    defaults = {
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
