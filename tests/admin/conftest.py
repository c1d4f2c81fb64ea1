"""Fixtures for the admin tests: staff per role, logged-in clients, applications in a given status."""

import pytest
from django.test import Client

from applications.models import Application
from applications.workflow import Status
from tests.factories import OrganisationFactory, application, attach_required, staff


@pytest.fixture
def users(seeded):
    from django.contrib.auth.models import Group

    both = staff("Sachbearbeitung")
    both.groups.add(Group.objects.get(name="Bewilligung"))
    return {
        "sachbearbeitung": staff("Sachbearbeitung", first_name="Sabine", last_name="Sach"),
        "bewilligung": staff("Bewilligung", first_name="Bernd", last_name="Bewill"),
        "haushalt": staff("Haushalt"),
        "nogroup": staff(None),
        "superuser": staff(None, is_superuser=True),
        "both": both,
    }


@pytest.fixture
def client_for(users):
    def make(role: str) -> Client:
        c = Client()
        c.force_login(users[role])
        return c

    return make


@pytest.fixture
def make_app(seeded):
    """An application of a Landkreis (Integrations- und Teilhabeprojekte unless code= is given) in the given status (with a file number)."""
    counter = {"n": 0}

    def make(status=Status.SUBMITTED, *, code="integrationsprojekte", year=2027, grant="50000.00", org=None, **kwargs):
        counter["n"] += 1
        org = org or OrganisationFactory(kind="landkreis", name=kwargs.pop("org_name", f"Landkreis Test {counter['n']}"))
        app = application(organisation=org, code=code, year=year, grant=grant, costs=grant, own="0", **kwargs)
        attach_required(app)
        from django.utils import timezone

        Application.objects.filter(pk=app.pk).update(
            status=status, file_number=f"WIR-{year}-T-{counter['n']:04d}", submitted_at=timezone.now(),
        )
        app.refresh_from_db()
        return app

    return make
