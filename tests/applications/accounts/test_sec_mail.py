"""Issue 16: registration does not reveal accounts, user-triggered mails are rate-limited, unverified
organisations cannot invite, subjects carry no links or line breaks, a mail that cannot be built is never
"versandt", and single-line fields refuse control characters."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from applications.accounts import services as accounts
from applications.models import Invitation, Organisation, Role
from tests.factories import PASSWORD
from wir_portal.mail import MailBuildError

from .test_registration import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def register(client, capture, **overrides):
    with capture(execute=True):
        return client.post(reverse("portal:register"), form_data(**overrides), REMOTE_ADDR=overrides.pop("ip", "10.1.1.1"))


# --- registration: one answer for known and unknown addresses --------------------------------------------------

def test_known_and_unknown_address_get_the_same_answer(client, seeded, django_capture_on_commit_callbacks):
    get_user_model().objects.create_user("fatma@verein.example", "fatma@verein.example", PASSWORD, is_active=True,
                                         last_login="2026-01-01T00:00:00Z")
    known = register(client, django_capture_on_commit_callbacks, email="FATMA@verein.example")
    unknown = register(client, django_capture_on_commit_callbacks, email="neu@verein.example",
                       org_name="Anderer Verein e. V.")
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url == reverse("portal:register-done")
    # the owner of the known address is told by mail, the new address gets its confirmation link
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {"fatma@verein.example", "neu@verein.example"}
    assert "Registrierung mit Ihrer E-Mail-Adresse" in by_address["fatma@verein.example"].subject
    assert "/accounts/password_reset/" in by_address["fatma@verein.example"].body
    assert "bestätigen" in by_address["neu@verein.example"].subject
    assert not Organisation.objects.filter(name="Brückenbauer e. V.").exists()  # nothing for the known address
    # the done page reads the same for both
    page = client.get(reverse("portal:register-done")).content.decode()
    assert "bereits ein Konto" not in page


def test_registration_mails_are_limited_per_address(client, seeded, django_capture_on_commit_callbacks):
    get_user_model().objects.create_user("opfer@example.org", "opfer@example.org", PASSWORD)
    for n in range(6):
        response = register(client, django_capture_on_commit_callbacks, email="opfer@example.org",
                            ip=f"10.2.0.{n}")
        assert response.status_code == 302  # same answer, also when throttled
    assert len([m for m in mail.outbox if m.to == ["opfer@example.org"]]) == accounts.REGISTRATION_LIMITS["email"]


def test_registration_mails_are_limited_per_client_address(client, seeded, django_capture_on_commit_callbacks):
    for n in range(accounts.REGISTRATION_LIMITS["ip"] + 2):
        register(client, django_capture_on_commit_callbacks, email=f"person{n}@example.org",
                 org_name=f"Verein {n} e. V.", ip="10.3.3.3")
    assert len(mail.outbox) == accounts.REGISTRATION_LIMITS["ip"]


# --- invitations -----------------------------------------------------------------------------------------------

def invite(client, org, capture, email="neu@alpha.wir"):
    with capture(execute=True):
        return client.post(reverse("portal:members", kwargs={"org_id": org.pk}), {"email": email, "role": Role.MEMBER})


def test_unverified_organisation_cannot_invite(client, org, admin_user, django_capture_on_commit_callbacks):
    Organisation.objects.filter(pk=org.pk).update(verified_at=None)
    client.force_login(admin_user)
    response = invite(client, org, django_capture_on_commit_callbacks)
    assert response.status_code == 200 and "geprüft" in response.content.decode()
    assert not Invitation.objects.exists() and mail.outbox == []


def test_invitations_are_limited_per_user(client, org, admin_user, django_capture_on_commit_callbacks):
    client.force_login(admin_user)
    limit = accounts.INVITATION_LIMITS["user"]
    for n in range(limit + 3):
        invite(client, org, django_capture_on_commit_callbacks, email=f"person{n}@example.org")
    assert len(mail.outbox) == limit == Invitation.objects.count()


def test_invitations_are_limited_per_organisation(org, admin_user, monkeypatch):
    from tests.factories import UserFactory, member

    monkeypatch.setitem(accounts.INVITATION_LIMITS, "organisation", 3)
    second = UserFactory()
    member(second, org, Role.ADMIN)
    for n, user in enumerate([admin_user, second, admin_user]):
        accounts.invitation_create(organisation=org, email=f"p{n}@example.org", role=Role.MEMBER, user=user)
    with pytest.raises(accounts.AccountError, match="sehr viele Einladungen"):
        accounts.invitation_create(organisation=org, email="p9@example.org", role=Role.MEMBER, user=second)


@pytest.mark.parametrize("name", ["Verein\r\nBcc: opfer@example.org", "Gewinn! www.evil.example/x jetzt",
                                  "Klick https://evil.example/login", "Verein " + "sehr lang " * 19])  # 197 characters: the longest name allowed
def test_free_text_in_the_subject_is_one_short_line_without_links(client, org, admin_user, name,
                                                                   django_capture_on_commit_callbacks):
    Organisation.objects.filter(pk=org.pk).update(name=name)  # stored before the validation existed
    client.force_login(admin_user)
    response = invite(client, org, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert len(mail.outbox) == 1  # "versandt" is true
    subject = mail.outbox[0].subject
    assert "\n" not in subject and "\r" not in subject and len(subject) <= 110
    assert "www." not in subject and "://" not in subject and "@" not in subject and "evil" not in subject


def test_a_mail_that_cannot_be_built_is_an_error_not_versandt(client, org, admin_user, monkeypatch,
                                                              django_capture_on_commit_callbacks):
    def broken(**kwargs):
        raise MailBuildError("bad header")

    monkeypatch.setattr(accounts, "send_templated", broken)
    client.force_login(admin_user)
    response = invite(client, org, django_capture_on_commit_callbacks)
    html = response.content.decode()
    assert response.status_code == 200 and "ist versandt" not in html
    assert "konnte nicht erstellt werden" in html
    assert not Invitation.objects.exists() and mail.outbox == []


# --- control characters in single-line fields ----------------------------------------------------------------------

@pytest.mark.parametrize("field", ["first_name", "last_name", "org_name", "city", "street", "account_holder",
                                   "register_number", "phone"])
@pytest.mark.parametrize("bad", ["Anna\r\nBcc: x@example.org", "Anna\nB", "Anna\x00", "Anna\tB", "A\u2028B"])
def test_registration_refuses_control_characters(client, seeded, field, bad):
    response = client.post(reverse("portal:register"), form_data(**{field: bad}))
    assert response.status_code == 200
    assert "Steuerzeichen" in " ".join(response.context["form"].errors.get(field, [])), response.context["form"].errors
    assert mail.outbox == []


def test_invitation_email_with_a_line_break_is_refused(client, org, admin_user, django_capture_on_commit_callbacks):
    client.force_login(admin_user)
    response = invite(client, org, django_capture_on_commit_callbacks, email="neu@alpha.wir\r\nBcc: x@example.org")
    assert response.status_code == 200 and not Invitation.objects.exists() and mail.outbox == []
