"""Member list, role changes and removal: admins only, never the last admin; other organisations 404."""

import pytest
from django.urls import reverse

from applications.accounts import services as accounts
from applications.models import Membership, Role
from tests.factories import UserFactory, member

pytestmark = pytest.mark.django_db


def role_url(org, m):
    return reverse("portal:member-role", kwargs={"org_id": org.pk, "member_id": m.pk})


def remove_url(org, m):
    return reverse("portal:member-remove", kwargs={"org_id": org.pk, "member_id": m.pk})


def test_admin_sees_member_list(client, org, admin_user, member_user):
    client.force_login(admin_user)
    response = client.get(reverse("portal:members", kwargs={"org_id": org.pk}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "mitglied@alpha.wir" in html and "admin@alpha.wir" in html
    assert "einzige Administration" in html


def test_member_list_query_count_does_not_grow(client, org, admin_user, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(admin_user)
    url = reverse("portal:members", kwargs={"org_id": org.pk})
    client.get(url)  # warm per-process caches (content types, site) so both counts below measure the page alone
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(15):
        member(UserFactory(), org, Role.MEMBER)
    for n in range(5):
        accounts.invitation_create(organisation=org, email=f"n{n}@x.example", role=Role.MEMBER, user=admin_user)
    # session, user, the admin's membership + organisation, members with their users, who has a second factor,
    # open invitations, history
    with django_assert_max_num_queries(9):
        with CaptureQueriesContext(connection) as many:
            response = client.get(url)
    assert response.status_code == 200 and "n4@x.example" in response.content.decode()
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_member_gets_403_outsider_404(client, org, admin_user, member_user, outsider):
    url = reverse("portal:members", kwargs={"org_id": org.pk})
    target = Membership.objects.get(user=admin_user)
    client.force_login(member_user)
    assert client.get(url).status_code == 403
    assert client.post(role_url(org, target), {"role": Role.MEMBER}).status_code == 403
    assert client.post(remove_url(org, target)).status_code == 403
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.post(role_url(org, target), {"role": Role.MEMBER}).status_code == 404
    assert client.get(remove_url(org, target)).status_code == 404
    assert Membership.objects.get(pk=target.pk).role == Role.ADMIN


def test_admin_of_other_org_cannot_reach_members_via_own_org_url(client, org, member_user, outsider):
    """The membership id must belong to the organisation in the URL: mixing ids answers 404."""
    own_org = outsider.memberships.get().organisation
    target = Membership.objects.get(user=member_user)
    client.force_login(outsider)
    assert client.post(role_url(own_org, target), {"role": Role.ADMIN}).status_code == 404
    assert client.post(remove_url(own_org, target)).status_code == 404
    assert Membership.objects.get(pk=target.pk).role == Role.MEMBER


def test_admin_changes_role(client, org, admin_user, member_user):
    client.force_login(admin_user)
    m = Membership.objects.get(user=member_user)
    response = client.post(role_url(org, m), {"role": Role.SIGNATORY}, follow=True)
    assert "Zeichnungsberechtigt" in response.content.decode()
    m.refresh_from_db()
    assert m.role == Role.SIGNATORY and m.can_submit and not m.can_manage


def test_invalid_role_is_refused(client, org, admin_user, member_user):
    client.force_login(admin_user)
    m = Membership.objects.get(user=member_user)
    client.post(role_url(org, m), {"role": "superuser"})
    m.refresh_from_db()
    assert m.role == Role.MEMBER
    with pytest.raises(accounts.AccountError):
        accounts.membership_role_change(membership=m, role="superuser", user=admin_user)


def test_last_admin_cannot_be_demoted(client, org, admin_user):
    client.force_login(admin_user)
    own = Membership.objects.get(user=admin_user)
    response = client.post(role_url(org, own), {"role": Role.MEMBER}, follow=True)
    assert "mindestens eine Administration" in response.content.decode()
    own.refresh_from_db()
    assert own.role == Role.ADMIN


def test_last_admin_cannot_be_removed_or_leave(client, org, admin_user):
    client.force_login(admin_user)
    own = Membership.objects.get(user=admin_user)
    response = client.post(remove_url(org, own), follow=True)
    assert "letzte Administration" in response.content.decode()
    assert Membership.objects.filter(pk=own.pk).exists()


def test_with_two_admins_one_may_step_down_then_the_other_is_last(client, org, admin_user, member_user):
    accounts.membership_role_change(membership=Membership.objects.get(user=member_user), role=Role.ADMIN,
                                    user=admin_user)
    own = Membership.objects.get(user=admin_user)
    accounts.membership_role_change(membership=own, role=Role.SIGNATORY, user=admin_user)
    other = Membership.objects.get(user=member_user)
    with pytest.raises(accounts.AccountError):
        accounts.membership_role_change(membership=other, role=Role.MEMBER, user=member_user)
    # the former admin has lost the right to manage
    with pytest.raises(accounts.AccountError):
        accounts.membership_role_change(membership=other, role=Role.MEMBER, user=admin_user)


def test_admin_removes_member_after_confirmation(client, org, admin_user, member_user):
    client.force_login(admin_user)
    m = Membership.objects.get(user=member_user)
    confirm = client.get(remove_url(org, m))
    assert confirm.status_code == 200 and "mitglied@alpha.wir" in confirm.content.decode()
    assert Membership.objects.filter(pk=m.pk).exists()  # GET changes nothing
    response = client.post(remove_url(org, m))
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=m.pk).exists()
    member_user.refresh_from_db()
    assert member_user.is_active  # the account stays
    client.force_login(member_user)
    assert client.get(reverse("portal:members", kwargs={"org_id": org.pk})).status_code == 404


def test_admin_may_leave_when_another_admin_remains(client, org, admin_user, member_user):
    accounts.membership_role_change(membership=Membership.objects.get(user=member_user), role=Role.ADMIN,
                                    user=admin_user)
    client.force_login(admin_user)
    own = Membership.objects.get(user=admin_user)
    response = client.post(remove_url(org, own))
    assert response.status_code == 302 and response.url == reverse("portal:dashboard")
    assert not Membership.objects.filter(pk=own.pk).exists()


def test_role_change_view_is_post_only(client, org, admin_user, member_user):
    client.force_login(admin_user)
    assert client.get(role_url(org, Membership.objects.get(user=member_user))).status_code == 405
