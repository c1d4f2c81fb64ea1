"""Fixtures for the applying part of the portal: an entity (Landkreis Gießen), a Träger, and owner / colleague /
outsider (like healthchecks' alice, bob, charlie)."""

import pytest

from applications.models import Organisation, Role
from funding.models import OrganisationKind
from tests.factories import OrganisationFactory, UserFactory, member, yearly_centre_round

YEAR = 2027


@pytest.fixture
def entity(seeded):
    return Organisation.objects.select_related("entity").get(entity__name="Landkreis Gießen")


@pytest.fixture
def owner(entity):
    user = UserFactory(first_name="Olga", last_name="Owner")
    member(user, entity, Role.SIGNATORY)
    return user


@pytest.fixture
def colleague(entity):
    """A member without the right to submit."""
    user = UserFactory(first_name="Carl", last_name="Colleague")
    member(user, entity, Role.MEMBER)
    return user


@pytest.fixture
def outsider(seeded):
    org = OrganisationFactory(name="Fremder Verein e. V.")
    user = UserFactory(first_name="Oskar", last_name="Outsider")
    member(user, org, Role.SIGNATORY)
    return user


@pytest.fixture
def traeger(seeded):
    return OrganisationFactory(name="Caritas Teststadt", kind=OrganisationKind.KIRCHLICHER_TRAEGER)


@pytest.fixture
def traeger_user(traeger):
    user = UserFactory()
    member(user, traeger, Role.SIGNATORY)
    return user


@pytest.fixture
def mo(seeded):
    return OrganisationFactory(name="Brücke e. V.", kind=OrganisationKind.MIGRANTENORGANISATION)


@pytest.fixture
def mo_user(mo):
    user = UserFactory()
    member(user, mo, Role.SIGNATORY)
    return user


def form_data(*, year=YEAR, title="Testvorhaben", start=f"{YEAR}-01-01", end=f"{YEAR}-12-31", details=None,
              costs=(("personnel", "WIR-Koordinationskraft 1,0 VZÄ", "68.000,00"),), income=None, action="save",
              years=None):
    """POST data as the browser sends it for the application form."""
    data = {"title": title, "purpose": "Zweck und Konzeption", "target_group": "", "period_start": start,
            "period_end": end, "contact_name": "Olga Owner", "contact_email": "olga@test.wir", "contact_phone": "",
            "action": action}
    for key, value in (details or {}).items():
        data[f"details-{key}"] = value
    for y in years or [year]:
        rows = list(costs) if y == year else []
        data.update({f"cost-{y}-TOTAL_FORMS": str(len(rows) + 1), f"cost-{y}-INITIAL_FORMS": "0",
                     f"cost-{y}-MIN_NUM_FORMS": "0", f"cost-{y}-MAX_NUM_FORMS": "1000"})
        for i, (category, description, amount) in enumerate(rows):
            data[f"cost-{y}-{i}-category"] = category
            data[f"cost-{y}-{i}-description"] = description
            data[f"cost-{y}-{i}-amount"] = amount
        blank = len(rows)
        data.update({f"cost-{y}-{blank}-category": "", f"cost-{y}-{blank}-description": "",
                     f"cost-{y}-{blank}-amount": ""})
        inc = income if y == year else {}
        for key in ("own_funds", "third_party_funds", "other_public_funds", "requested_grant"):
            data[f"plan-{y}-{key}"] = (inc or {}).get(key, "")
    return data


# A WIR-Vielfaltszentrum with one Koordinationskraft: cap 1 × 60.000 € a year; 68.000 € costs = 8.000 € own funds
# + 60.000 € grant.
VZ_DETAILS = {"coordination_posts": "1,0", "pay_group": "E 11", "staff_post": "", "micro_projects": "",
              "recipients": ""}
VZ_INCOME = {"own_funds": "8.000,00", "requested_grant": "60.000,00"}


@pytest.fixture
def centre_round(seeded):
    """The Vielfaltszentren in a yearly round of the open year (tests.factories.yearly_centre_round)."""
    return yearly_centre_round(YEAR)
