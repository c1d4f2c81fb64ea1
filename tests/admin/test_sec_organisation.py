"""Issue 16: Sachbearbeitung cannot change an organisation's bank account or kind; Haushalt can, every change is
in the organisation's audit trail, and once money was paid a new bank account needs a second person."""

from decimal import Decimal

import pytest
from django.urls import reverse

from applications.models import Organisation, OrganisationAction, OrganisationEvent
from funding.models import LedgerEntry, LedgerKind
from tests.factories import OrganisationFactory, application

pytestmark = pytest.mark.django_db

NEW_IBAN = "DE02120300000000202051"


def change_url(org):
    return reverse("admin:applications_organisation_change", args=[org.pk])


def form_post(client, org, **changes):
    """POST the admin change form as the browser would: every shown value, inlines included, plus `changes`."""
    page = client.get(change_url(org))
    assert page.status_code == 200
    data = {}
    form = page.context["adminform"].form
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        data[name] = "on" if value is True else ("" if value is False else str(value))
    data = {k: v for k, v in data.items() if v != ""}
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = str(value)
        for i, f in enumerate(formset.forms):
            for name in f.fields:
                value = f[name].value()
                if value is not None:
                    data[f"{formset.prefix}-{i}-{name}"] = str(value)
    data.update(changes)
    return client.post(change_url(org), data)


@pytest.fixture
def org(seeded):
    return OrganisationFactory(kind="freier_traeger", iban="DE89370400440532013000", account_holder="Verein e. V.",
                               city="Kassel")


def test_sachbearbeitung_cannot_change_bank_account_or_kind(client_for, org):
    c = client_for("sachbearbeitung")
    page = c.get(change_url(org)).content.decode()
    assert 'name="iban"' not in page and 'name="kind"' not in page  # shown read-only
    response = form_post(c, org, iban=NEW_IBAN, kind="gemeinde", account_holder="Betrüger GmbH", city="Fulda")
    assert response.status_code == 302
    org.refresh_from_db()
    assert (org.iban, org.kind, org.account_holder) == ("DE89370400440532013000", "freier_traeger", "Verein e. V.")
    assert org.city == "Fulda"  # other master data stays editable, and is recorded
    event = OrganisationEvent.objects.get(organisation=org, action=OrganisationAction.DATA_CHANGED)
    assert "Kassel → Fulda" in event.subject


def test_haushalt_changes_bank_account_and_kind_with_audit_entries(client_for, org, users):
    response = form_post(client_for("haushalt"), org, iban=NEW_IBAN, kind="gemeinde")
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    org.refresh_from_db()
    assert (org.iban, org.kind) == (NEW_IBAN, "gemeinde")
    bank = OrganisationEvent.objects.get(organisation=org, action=OrganisationAction.BANK_CHANGED)
    assert "DE89370400440532013000" in bank.subject and NEW_IBAN in bank.subject
    assert bank.actor == users["haushalt"]
    kind = OrganisationEvent.objects.get(organisation=org, action=OrganisationAction.KIND_CHANGED)
    assert "→" in kind.subject


def test_after_a_payment_a_new_bank_account_needs_a_second_person(client_for, org, users):
    app = application(organisation=org, code="integrationsprojekte")
    LedgerEntry.objects.create(rule=app.rule, application=app, kind=LedgerKind.COMMITMENT, amount=Decimal("100"))
    LedgerEntry.objects.create(rule=app.rule, application=app, kind=LedgerKind.PAYMENT, amount=Decimal("50"))
    haushalt = client_for("haushalt")
    response = form_post(haushalt, org, iban=NEW_IBAN)
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.iban == "DE89370400440532013000" and org.pending_iban == NEW_IBAN  # not applied yet
    assert OrganisationEvent.objects.filter(organisation=org, action=OrganisationAction.BANK_CHANGE_REQUESTED).exists()
    changelist = reverse("admin:applications_organisation_changelist")
    # the same person cannot confirm
    r = haushalt.post(changelist, {"action": "bank_change_confirm", "_selected_action": [org.pk]}, follow=True)
    assert any("Vier-Augen-Prinzip" in str(m) for m in r.context["messages"])
    org.refresh_from_db()
    assert org.iban == "DE89370400440532013000"
    # Sachbearbeitung is not offered the action at all
    assert "bank_change_confirm" not in client_for("sachbearbeitung").get(changelist).content.decode()
    # a second person confirms
    r = client_for("superuser").post(changelist, {"action": "bank_change_confirm", "_selected_action": [org.pk]})
    assert r.status_code == 302
    org.refresh_from_db()
    assert org.iban == NEW_IBAN and org.pending_iban == "" and org.pending_bank_at is None
    confirmed = OrganisationEvent.objects.get(organisation=org, action=OrganisationAction.BANK_CHANGED)
    assert confirmed.actor == users["superuser"] and NEW_IBAN in confirmed.subject


def test_the_service_refuses_a_guarded_change_without_the_right(org, users):
    from applications.accounts.organisation_data import organisation_staff_save
    from applications.accounts.services import AccountError

    org.iban = NEW_IBAN
    with pytest.raises(AccountError):
        organisation_staff_save(organisation=org, changed=["iban"], user=users["sachbearbeitung"])
    assert Organisation.objects.get(pk=org.pk).iban == "DE89370400440532013000"
