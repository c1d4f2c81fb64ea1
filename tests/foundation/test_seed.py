import pytest
from django.core.management import call_command

from applications.models import Application, Event, Organisation
from funding.models import AdministrativeCourt, District, FundingLine, LedgerEntry, LineRule, ProgrammeYear

pytestmark = pytest.mark.django_db


def _counts():
    return [m.objects.count() for m in (ProgrammeYear, FundingLine, LineRule, District, AdministrativeCourt,
                                        Organisation, Application, Event, LedgerEntry)]


def test_seed_is_idempotent_with_demo():
    call_command("seed", "--demo")
    first = _counts()
    call_command("seed", "--demo")
    assert _counts() == first
    assert District.objects.count() == 33
    assert AdministrativeCourt.objects.count() == 5


def test_each_of_the_33_has_a_court_and_an_organisation():
    call_command("seed")
    assert not District.objects.filter(court__isnull=True).exists()
    assert District.objects.get(name="Wetteraukreis").court.name == "Verwaltungsgericht Gießen"
    assert District.objects.get(name="Hanau").court.name == "Verwaltungsgericht Frankfurt am Main"
    assert Organisation.objects.filter(entity__isnull=False).count() == 33


def test_demo_refused_in_production(settings):
    from django.core.management.base import CommandError

    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("seed", "--demo")


def test_demo_accounts_can_log_in(client):
    call_command("seed", "--demo")
    for email in ["giessen@demo.wir", "frankfurt@demo.wir", "verein@demo.wir", "sachbearbeitung@demo.wir",
                  "bewilligung@demo.wir", "haushalt@demo.wir", "admin@demo.wir"]:
        assert client.login(username=email, password="wir-demo-2026"), email
        client.logout()
