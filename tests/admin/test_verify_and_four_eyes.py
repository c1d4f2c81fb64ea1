"""Verifying an organisation from its own admin page; decision buttons only for decisions the four-eyes rule
would not refuse this person."""

from decimal import Decimal

import pytest
from django.urls import reverse

from applications import services
from applications.models import OrganisationAction, OrganisationEvent
from applications.workflow import Status
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def test_unverified_organisation_page_has_a_verify_button_that_verifies(client_for, users):
    org = OrganisationFactory(name="Neuer Verein e. V.", verified_at=None)
    client = client_for("sachbearbeitung")
    url = reverse("admin:applications_organisation_change", args=[org.pk])
    verify = reverse("admin:applications_organisation_verify", args=[org.pk])
    page = client.get(url).content.decode()
    assert "Organisation prüfen und freischalten" in page and f'action="{verify}"' in page
    assert client.get(verify).status_code == 302  # GET changes nothing
    org.refresh_from_db()
    assert org.verified_at is None
    response = client.post(verify, follow=True)
    assert "ist geprüft und freigeschaltet" in response.content.decode()
    org.refresh_from_db()
    assert org.verified_at is not None and org.verified_by == users["sachbearbeitung"]
    assert OrganisationEvent.objects.filter(organisation=org, action=OrganisationAction.VERIFIED).count() == 1
    assert "Organisation prüfen und freischalten" not in client.get(url).content.decode()


def test_verify_needs_the_change_permission(client_for):
    org = OrganisationFactory(name="Noch ein Verein e. V.", verified_at=None)
    client = client_for("bewilligung")  # may view organisations, not change them
    page = client.get(reverse("admin:applications_organisation_change", args=[org.pk])).content.decode()
    assert "Organisation prüfen und freischalten" not in page
    assert client.post(reverse("admin:applications_organisation_verify", args=[org.pk])).status_code == 403
    org.refresh_from_db()
    assert org.verified_at is None


@pytest.fixture
def recommended_by_both(users, make_app):
    """Recommended by the person who also holds the Bewilligung role."""
    app = make_app(Status.SUBMITTED)
    services.application_start_review(application=app, user=users["both"])
    services.application_recommend(application=app, user=users["both"], recommendation="approve")
    app.refresh_from_db()
    return app


def test_recommender_sees_no_approve_buttons_the_four_eyes_rule_refuses(client, users, recommended_by_both, settings):
    settings.WIR_FOUR_EYES_THRESHOLD = "0"
    client.force_login(users["both"])
    app = recommended_by_both
    page = client.get(reverse("admin:applications_application_change", args=[app.pk])).content.decode()
    approve = reverse("admin:applications_application_decide", args=[app.pk, "approve"])
    partial = reverse("admin:applications_application_decide", args=[app.pk, "partially_approve"])
    reject = reverse("admin:applications_application_decide", args=[app.pk, "reject"])
    assert approve not in page and partial not in page
    assert reject in page  # rejecting is not an approval: the four-eyes rule does not apply
    assert "Vier-Augen-Prinzip" in page
    response = client.get(approve, follow=True)
    assert response.redirect_chain and "Vier-Augen-Prinzip" in response.content.decode()

    client.force_login(users["bewilligung"])  # someone else may approve
    page = client.get(reverse("admin:applications_application_change", args=[app.pk])).content.decode()
    assert approve in page and partial in page


def test_above_a_threshold_only_the_partial_approval_up_to_it_is_offered(client, users, recommended_by_both, settings):
    app = recommended_by_both
    settings.WIR_FOUR_EYES_THRESHOLD = str(app.requested_amount - Decimal("1000.00"))
    client.force_login(users["both"])
    page = client.get(reverse("admin:applications_application_change", args=[app.pk])).content.decode()
    assert reverse("admin:applications_application_decide", args=[app.pk, "approve"]) not in page
    assert reverse("admin:applications_application_decide", args=[app.pk, "partially_approve"]) in page
    settings.WIR_FOUR_EYES_THRESHOLD = str(app.requested_amount)
    page = client.get(reverse("admin:applications_application_change", args=[app.pk])).content.decode()
    assert reverse("admin:applications_application_decide", args=[app.pk, "approve"]) in page
