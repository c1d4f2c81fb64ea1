"""The legal form decides ANBest-GK or -P (issue 12): a change by staff is proposed by one person and takes effect
only when another confirms it; until then new decisions use the old form; issued notices keep what they said."""

import pytest
from django.test import Client
from django.urls import reverse

from applications import decision_rules
from applications.accounts import organisation_data
from applications.accounts.services import AccountError
from applications.models import LegalForm, Organisation, OrganisationAction
from tests.factories import OrganisationFactory, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(seeded):
    return OrganisationFactory(name="Integrationswerk Musterstadt", kind="kommunaler_traeger",
                               legal_form=LegalForm.GEMEINDEVERBAND)


def post_change(client, org, **changes):
    url = reverse("admin:applications_organisation_change", args=[org.pk])
    form = client.get(url).context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if not isinstance(v, (list, dict))}
    data.update({"memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0", **changes})
    return client.post(url, data)


def test_change_waits_for_a_second_person(org):
    first, second = staff("Sachbearbeitung"), staff("Sachbearbeitung")
    assert decision_rules.anbest_for(org) == "anbest_gk"  # a Zweckverband: ANBest-GK
    org.legal_form = LegalForm.GMBH  # a municipal gGmbH: ANBest-P — proposed by the first person
    organisation_data.organisation_staff_save(organisation=org, changed=["legal_form"], user=first)
    org.refresh_from_db()
    assert (org.legal_form, org.pending_legal_form) == (LegalForm.GEMEINDEVERBAND, LegalForm.GMBH)
    assert decision_rules.anbest_for(org) == "anbest_gk"  # new decisions still use the old form
    with pytest.raises(AccountError, match="Vier-Augen-Prinzip"):
        organisation_data.organisation_legal_form_confirm(organisation=org, user=first)
    organisation_data.organisation_legal_form_confirm(organisation=org, user=second)
    org.refresh_from_db()
    assert (org.legal_form, org.pending_legal_form, org.pending_legal_form_at) == (LegalForm.GMBH, "", None)
    assert decision_rules.anbest_for(org) == "anbest_p"
    actions = list(org.events.order_by("created_at", "id").values_list("action", flat=True))
    assert actions[-2:] == [OrganisationAction.LEGAL_FORM_REQUESTED, OrganisationAction.LEGAL_FORM_CHANGED]


def test_discard_and_nothing_pending(org):
    first, second = staff("Sachbearbeitung"), staff("Sachbearbeitung")
    with pytest.raises(AccountError, match="wartet keine Änderung"):
        organisation_data.organisation_legal_form_confirm(organisation=org, user=second)
    org.legal_form = LegalForm.VEREIN
    organisation_data.organisation_staff_save(organisation=org, changed=["legal_form"], user=first)
    organisation_data.organisation_legal_form_discard(organisation=org, user=second)
    org.refresh_from_db()
    assert (org.legal_form, org.pending_legal_form) == (LegalForm.GEMEINDEVERBAND, "")
    with pytest.raises(AccountError):
        organisation_data.organisation_legal_form_confirm(organisation=org, user=staff(None))  # no right


def test_admin_shows_the_pending_form_and_confirms_by_action(org):
    first, second = staff("Sachbearbeitung"), staff("Sachbearbeitung")
    c1, c2 = Client(), Client()
    c1.force_login(first)
    c2.force_login(second)
    response = post_change(c1, org, legal_form=LegalForm.GMBH)
    assert response.status_code == 302, response.content.decode()[:3000]
    org.refresh_from_db()
    assert org.legal_form == LegalForm.GEMEINDEVERBAND and org.pending_legal_form == LegalForm.GMBH
    page = c2.get(reverse("admin:applications_organisation_change", args=[org.pk])).content.decode()
    assert "wartet auf Bestätigung durch eine zweite Person" in page
    changelist = reverse("admin:applications_organisation_changelist")
    c1.post(changelist, {"action": "legal_form_confirm", "_selected_action": [org.pk]})
    org.refresh_from_db()
    assert org.legal_form == LegalForm.GEMEINDEVERBAND  # the proposer cannot confirm
    c2.post(changelist, {"action": "legal_form_confirm", "_selected_action": [org.pk]})
    org.refresh_from_db()
    assert org.legal_form == LegalForm.GMBH
    assert Organisation.objects.get(pk=org.pk).pending_legal_form == ""
