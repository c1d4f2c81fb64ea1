"""Invitations: hashed, expiring, single-use tokens; accept as new or existing user; only admins invite."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from applications.accounts import services as accounts
from applications.models import Invitation, Membership, Role

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Kolibri-Garten-77"


def invite(client, org, email="neu@alpha.wir", role=Role.SIGNATORY, capture=None):
    with capture(execute=True):
        return client.post(reverse("portal:members", kwargs={"org_id": org.pk}), {"email": email, "role": role})


def link_path() -> str:
    match = re.search(r"https?://[^/\s]+(/portal/einladung/\S+/)", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def test_admin_invites_by_email_token_is_hashed(client, org, admin_user, django_capture_on_commit_callbacks):
    client.force_login(admin_user)
    response = invite(client, org, email="Neu@Alpha.wir", capture=django_capture_on_commit_callbacks)
    assert response.status_code == 302
    invitation = Invitation.objects.get(organisation=org)
    assert invitation.email == "neu@alpha.wir" and invitation.role == Role.SIGNATORY
    assert invitation.invited_by == admin_user
    days = (invitation.expires_at - timezone.now()).days
    assert days in (6, 7)  # WIR_INVITATION_DAYS = 7
    path = link_path()
    token = path.rstrip("/").rsplit("/", 1)[1]
    assert token not in invitation.token_hash and len(invitation.token_hash) == 64
    assert mail.outbox[0].to == ["neu@alpha.wir"] and org.name in mail.outbox[0].subject
    page = client.get(reverse("portal:members", kwargs={"org_id": org.pk})).content.decode()
    assert "neu@alpha.wir" in page  # open invitations listed


def test_accept_as_new_user_creates_active_account_with_role(client, org, admin_user, django_capture_on_commit_callbacks):
    client.force_login(admin_user)
    invite(client, org, capture=django_capture_on_commit_callbacks)
    client.logout()
    path = link_path()
    page = client.get(path)
    assert page.status_code == 200 and "neu@alpha.wir" in page.content.decode()
    response = client.post(path, {"first_name": "Nora", "last_name": "Neu", "password1": NEW_PASSWORD,
                                  "password2": NEW_PASSWORD})
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    user = get_user_model().objects.get(email="neu@alpha.wir")
    assert user.is_active and user.check_password(NEW_PASSWORD) and user.get_full_name() == "Nora Neu"
    assert Membership.objects.get(user=user, organisation=org).role == Role.SIGNATORY
    assert Invitation.objects.get(organisation=org).accepted_at is not None
    assert client.login(username="neu@alpha.wir", password=NEW_PASSWORD)


def test_invitation_is_single_use(client, org, admin_user, django_capture_on_commit_callbacks):
    client.force_login(admin_user)
    invite(client, org, capture=django_capture_on_commit_callbacks)
    client.logout()
    path = link_path()
    data = {"first_name": "Nora", "last_name": "Neu", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    assert client.post(path, data).status_code == 302
    second = client.post(path, data)
    assert second.status_code == 404
    assert "bereits angenommen" in second.content.decode()
    assert get_user_model().objects.filter(email="neu@alpha.wir").count() == 1
    token = path.rstrip("/").rsplit("/", 1)[1]
    with pytest.raises(accounts.AccountError):
        accounts.invitation_accept(token=token, user=get_user_model().objects.get(email="neu@alpha.wir"))


def test_expired_invitation_is_refused(client, org, admin_user):
    invitation, token = accounts.invitation_create(organisation=org, email="spaet@alpha.wir", role=Role.MEMBER,
                                                   user=admin_user)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    path = reverse("portal:invitation-accept", kwargs={"token": token})
    response = client.get(path)
    assert response.status_code == 404 and "abgelaufen" in response.content.decode()
    response = client.post(path, {"first_name": "S", "last_name": "P", "password1": NEW_PASSWORD,
                                  "password2": NEW_PASSWORD})
    assert response.status_code == 404
    assert not get_user_model().objects.filter(email="spaet@alpha.wir").exists()


def test_unknown_token_is_refused(client, db):
    response = client.get(reverse("portal:invitation-accept", kwargs={"token": "gibt-es-nicht"}))
    assert response.status_code == 404 and "ungültig" in response.content.decode()


def test_logged_in_user_with_other_email_cannot_accept(client, org, admin_user, outsider):
    _invitation, token = accounts.invitation_create(organisation=org, email="neu@alpha.wir", role=Role.ADMIN,
                                                    user=admin_user)
    client.force_login(outsider)
    path = reverse("portal:invitation-accept", kwargs={"token": token})
    page = client.get(path).content.decode()
    assert "gilt für neu@alpha.wir" in page
    client.post(path)
    assert not Membership.objects.filter(user=outsider, organisation=org).exists()
    with pytest.raises(accounts.AccountError, match="gilt für"):
        accounts.invitation_accept(token=token, user=outsider)
    assert Invitation.objects.get(email="neu@alpha.wir").accepted_at is None


def test_existing_account_logs_in_then_accepts(client, org, admin_user, outsider):
    _invitation, token = accounts.invitation_create(organisation=org, email=outsider.email.upper(), role=Role.MEMBER,
                                                    user=admin_user)
    path = reverse("portal:invitation-accept", kwargs={"token": token})
    page = client.get(path).content.decode()
    assert "bereits ein Konto" in page and reverse("login") in page
    # POSTing a new account for an existing address does nothing
    client.post(path, {"first_name": "X", "last_name": "Y", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert not get_user_model().objects.get(email=outsider.email).check_password(NEW_PASSWORD)
    client.force_login(outsider)
    response = client.post(path)
    assert response.status_code == 302 and response.url == reverse("portal:dashboard")
    assert Membership.objects.get(user=outsider, organisation=org).role == Role.MEMBER
    assert client.session[accounts.SESSION_ORGANISATION_KEY] == org.pk  # now works for the new organisation


def test_new_invitation_replaces_the_open_one(org, admin_user):
    _first, token1 = accounts.invitation_create(organisation=org, email="neu@alpha.wir", role=Role.MEMBER, user=admin_user)
    _second, token2 = accounts.invitation_create(organisation=org, email="neu@alpha.wir", role=Role.ADMIN, user=admin_user)
    assert Invitation.objects.filter(organisation=org).count() == 1
    with pytest.raises(accounts.AccountError):
        accounts.invitation_check(token=token1)
    assert accounts.invitation_check(token=token2).role == Role.ADMIN


def test_cannot_invite_an_existing_member(client, org, admin_user, member_user, django_capture_on_commit_callbacks):
    client.force_login(admin_user)
    response = invite(client, org, email=member_user.email, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert "bereits Mitglied" in " ".join(response.context["invite_form"].errors["email"])
    assert mail.outbox == []


def test_members_without_admin_role_cannot_invite(client, org, member_user, django_capture_on_commit_callbacks):
    client.force_login(member_user)
    response = invite(client, org, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 403
    assert not Invitation.objects.exists() and mail.outbox == []
    with pytest.raises(accounts.AccountError):
        accounts.invitation_create(organisation=org, email="x@y.example", role=Role.MEMBER, user=member_user)


def test_outsiders_get_404(client, org, outsider, django_capture_on_commit_callbacks):
    client.force_login(outsider)
    assert invite(client, org, capture=django_capture_on_commit_callbacks).status_code == 404
    assert not Invitation.objects.exists()


def test_admin_revokes_open_invitation(client, org, admin_user, outsider):
    invitation, token = accounts.invitation_create(organisation=org, email="neu@alpha.wir", role=Role.MEMBER,
                                                   user=admin_user)
    url = reverse("portal:invitation-revoke", kwargs={"org_id": org.pk, "invitation_id": invitation.pk})
    client.force_login(outsider)
    assert client.post(url).status_code == 404
    client.force_login(admin_user)
    assert client.post(url).status_code == 302
    assert not Invitation.objects.exists()
    assert client.get(reverse("portal:invitation-accept", kwargs={"token": token})).status_code == 404


def test_password_rules_apply_when_accepting(client, org, admin_user):
    _invitation, token = accounts.invitation_create(organisation=org, email="neu@alpha.wir", role=Role.MEMBER,
                                                    user=admin_user)
    response = client.post(reverse("portal:invitation-accept", kwargs={"token": token}),
                           {"first_name": "N", "last_name": "N", "password1": "12345", "password2": "12345"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "Dieses Passwort ist zu kurz. Es muss mindestens 10 Zeichen enthalten." in errors["password1"]
    html = response.content.decode()
    assert "Dieses Passwort ist zu kurz. Es muss mindestens 10 Zeichen enthalten." in html
    assert "Dieses Passwort ist komplett numerisch." in html
    assert not get_user_model().objects.filter(email="neu@alpha.wir").exists()
    assert Invitation.objects.get(email="neu@alpha.wir").accepted_at is None  # the link still works
