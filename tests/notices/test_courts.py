"""The Rechtsbehelfsbelehrung names the court at the applicant's seat (§ 52 Nr. 3 VwGO) — or nothing is rendered."""

import pytest

from applications.notices.documents import NoticeError, court_for
from funding.models import District
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("seat", "court"), [
    ("Landkreis Gießen", "Verwaltungsgericht Gießen"),
    ("Frankfurt am Main", "Verwaltungsgericht Frankfurt am Main"),
    ("Landkreis Limburg-Weilburg", "Verwaltungsgericht Wiesbaden"),  # Regierungsbezirk Gießen, court Wiesbaden
    ("Kassel", "Verwaltungsgericht Kassel"),
    ("Offenbach am Main", "Verwaltungsgericht Darmstadt"),
])
def test_court_follows_the_seat(seeded, seat, court):
    org = OrganisationFactory(district=District.objects.get(name=seat))
    assert court_for(org)["name"] == court


def test_sonderstatusstadt_without_own_entry_uses_its_landkreis(seeded):
    hanau = District.objects.get(name="Hanau")
    District.objects.filter(pk=hanau.pk).update(court=None)
    org = OrganisationFactory(district=District.objects.get(pk=hanau.pk))
    assert court_for(org) == {"name": "Verwaltungsgericht Frankfurt am Main",
                              "address": "Adalbertstraße 18, 60486 Frankfurt am Main"}


def test_unknown_seat_or_court_is_refused_not_guessed(seeded):
    with pytest.raises(NoticeError, match="kein Sitz"):
        court_for(OrganisationFactory(district=None))
    kassel = District.objects.get(name="Kassel")
    District.objects.filter(pk=kassel.pk).update(court=None)
    with pytest.raises(NoticeError, match="kein zuständiges Verwaltungsgericht"):
        court_for(OrganisationFactory(district=District.objects.get(pk=kassel.pk)))
