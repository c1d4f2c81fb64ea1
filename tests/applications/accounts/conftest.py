import pytest

from applications.models import Role
from tests.factories import OrganisationFactory, UserFactory, member


@pytest.fixture
def org(db):
    return OrganisationFactory(name="Verein Alpha e. V.")


@pytest.fixture
def admin_user(org):
    user = UserFactory(email="admin@alpha.wir", username="admin@alpha.wir", first_name="Ada", last_name="Admin")
    member(user, org, Role.ADMIN)
    return user


@pytest.fixture
def member_user(org):
    user = UserFactory(email="mitglied@alpha.wir", username="mitglied@alpha.wir", first_name="Mia", last_name="Mitglied")
    member(user, org, Role.MEMBER)
    return user


@pytest.fixture
def outsider(db):
    user = UserFactory(email="fremd@beta.wir", username="fremd@beta.wir")
    member(user, OrganisationFactory(name="Verein Beta e. V."), Role.ADMIN)
    return user
