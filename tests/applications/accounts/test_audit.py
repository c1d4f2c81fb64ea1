"""The organisation's audit trail: registration, verification, invitations, joins, role changes and removals are
recorded with who and when — in the portal and in the admin — survive the deletion of the users involved, and
are shown to the organisation's admins and to ministry staff."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from applications.accounts import services as accounts
from applications.models import Membership, OrganisationAction, OrganisationEvent, Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

A = OrganisationAction


def trail(org) -> list[tuple]:
    return [(e.action, e.subject, e.from_role, e.to_role, e.actor_name)
            for e in OrganisationEvent.objects.filter(organisation=org).order_by("id")]


def test_registration_and_verification_are_recorded(seeded):
    org = accounts.registration_create(
        person=accounts.PersonData("Lena", "Neu", "lena@neu.example", "Sonnenblume-2026!"),
        organisation={"name": "Neuer Verein e. V.", "kind": "migrantenorganisation", "email": "info@neu.example",
                      "regierungsbezirk": "Darmstadt"},
    )
    staff = UserFactory(is_staff=True, first_name="Susi", last_name="Staff")
    accounts.organisation_verify(organisation=org, user=staff)
    accounts.organisation_verify(organisation=org, user=staff)  # twice: nothing new happens, nothing is recorded
    assert trail(org) == [
        (A.REGISTERED, "Lena Neu <lena@neu.example>", "", Role.ADMIN, "Lena Neu"),
        (A.VERIFIED, "", "", "", "Susi Staff"),
    ]


def test_invitation_revocation_join_role_change_and_removal(org, admin_user):
    invitation, _ = accounts.invitation_create(organisation=org, email="Bea@Alpha.wir", role=Role.MEMBER,
                                               user=admin_user)
    accounts.invitation_revoke(invitation=invitation, user=admin_user)
    _, token = accounts.invitation_create(organisation=org, email="bea@alpha.wir", role=Role.SIGNATORY,
                                          user=admin_user)
    bea = accounts.invitation_accept(token=token, person=accounts.PersonData("Bea", "Neu", "", "Sonnenblume-2026!"))
    accounts.membership_role_change(membership=bea, role=Role.SIGNATORY, user=admin_user)  # unchanged: no entry
    accounts.membership_role_change(membership=bea, role=Role.ADMIN, user=admin_user)
    accounts.membership_remove(membership=bea, user=admin_user)
    assert trail(org) == [
        (A.INVITED, "bea@alpha.wir", "", Role.MEMBER, "Ada Admin"),
        (A.INVITATION_REVOKED, "bea@alpha.wir", Role.MEMBER, "", "Ada Admin"),
        (A.INVITED, "bea@alpha.wir", "", Role.SIGNATORY, "Ada Admin"),
        (A.JOINED, "Bea Neu <bea@alpha.wir>", "", Role.SIGNATORY, "Bea Neu"),
        (A.ROLE_CHANGED, "Bea Neu <bea@alpha.wir>", Role.SIGNATORY, Role.ADMIN, "Ada Admin"),
        (A.REMOVED, "Bea Neu <bea@alpha.wir>", Role.ADMIN, "", "Ada Admin"),
    ]


def test_a_refused_change_records_nothing(org, admin_user):
    with pytest.raises(accounts.AccountError):
        accounts.membership_role_change(membership=Membership.objects.get(user=admin_user), role=Role.MEMBER,
                                        user=admin_user)  # the last admin may not step down
    assert trail(org) == []


def test_entries_survive_the_deletion_of_the_users(org, admin_user, member_user):
    accounts.membership_role_change(membership=Membership.objects.get(user=member_user), role=Role.SIGNATORY,
                                    user=admin_user)
    get_user_model().objects.filter(pk__in=[admin_user.pk, member_user.pk]).delete()
    [entry] = OrganisationEvent.objects.filter(organisation=org)
    assert entry.actor is None and entry.actor_name == "Ada Admin"
    assert entry.subject == "Mia Mitglied <mitglied@alpha.wir>"


def test_members_page_shows_the_trail_to_admins_only(client, org, admin_user, member_user, outsider):
    accounts.membership_role_change(membership=Membership.objects.get(user=member_user), role=Role.SIGNATORY,
                                    user=admin_user)
    url = reverse("portal:members", kwargs={"org_id": org.pk})
    client.force_login(admin_user)
    html = client.get(url).content.decode()
    assert "Protokoll" in html and "Rolle geändert" in html
    assert "Mitglied (Entwürfe bearbeiten) → Zeichnungsberechtigt (einreichen)" in html
    client.force_login(member_user)
    assert client.get(url).status_code == 403
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_membership_edits_in_the_admin_are_recorded(client, org, admin_user, member_user):
    staff = UserFactory(is_staff=True, is_superuser=True, first_name="Sven", last_name="Super")
    newcomer = UserFactory(email="neu@alpha.wir", username="neu@alpha.wir", first_name="Nora", last_name="Neu")
    client.force_login(staff)
    url = reverse("admin:applications_organisation_change", args=[org.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Protokoll (Mitgliedschaften und Prüfung)" in page.content.decode()
    form = page.context["adminform"].form
    data = {name: ("" if value is None else value) for name, value in form.initial.items() if name in form.fields}
    data.update({"district": org.district_id or "", "entity": org.entity_id or "", "inhabitants": ""})
    memberships = list(Membership.objects.filter(organisation=org).order_by("pk"))
    data.update({"memberships-TOTAL_FORMS": "3", "memberships-INITIAL_FORMS": "2",
                 "memberships-MIN_NUM_FORMS": "0", "memberships-MAX_NUM_FORMS": "1000",
                 "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0",
                 "events-MIN_NUM_FORMS": "0", "events-MAX_NUM_FORMS": "0"})
    for i, m in enumerate(memberships):
        data.update({f"memberships-{i}-id": m.pk, f"memberships-{i}-organisation": org.pk,
                     f"memberships-{i}-user": m.user_id, f"memberships-{i}-role": m.role})
    mia = next(i for i, m in enumerate(memberships) if m.user_id == member_user.pk)
    data[f"memberships-{mia}-role"] = Role.SIGNATORY
    data.update({"memberships-2-organisation": org.pk, "memberships-2-user": newcomer.pk,
                 "memberships-2-role": Role.MEMBER})
    response = client.post(url, {k: v for k, v in data.items() if v is not False})
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert trail(org) == [
        (A.JOINED, "Nora Neu <neu@alpha.wir>", "", Role.MEMBER, "Sven Super"),
        (A.ROLE_CHANGED, "Mia Mitglied <mitglied@alpha.wir>", Role.MEMBER, Role.SIGNATORY, "Sven Super"),
    ]
