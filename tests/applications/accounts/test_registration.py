"""Self-registration of a Träger: inactive user + unverified organisation + admin membership, signed link."""

import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from applications.accounts import services as accounts
from applications.models import Membership, Organisation, Role
from funding.models import District
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    district = District.objects.get(name="Darmstadt") if District.objects.filter(name="Darmstadt").exists() \
        else District.objects.first()
    data = {
        "first_name": "Fatma", "last_name": "Yilmaz", "email": "Fatma@Verein.example",
        "password1": "Sonnenblume-2026!", "password2": "Sonnenblume-2026!",
        "org_name": "Brückenbauer e. V.", "kind": "migrantenorganisation", "district": district.pk,
        "street": "Rheinstraße 5", "postcode": "64283", "city": "Darmstadt", "org_email": "info@brueckenbauer.example",
        "phone": "06151 12345", "iban": "DE02 1203 0000 0000 2020 51", "account_holder": "Brückenbauer e. V.",
        "non_profit": "on", "register_number": "VR 4711", "privacy": "on",
    }
    data.update(overrides)
    return data


def confirmation_link() -> str:
    assert len(mail.outbox) == 1
    match = re.search(r"https?://\S+/portal/registrieren/bestaetigen/\S+/", mail.outbox[0].body)
    assert match, mail.outbox[0].body
    return match.group(0).split("/portal/", 1)[1]


def register(client, django_capture_on_commit_callbacks, **overrides):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("portal:register"), form_data(**overrides))


def test_register_creates_inactive_user_unverified_org_and_admin_membership(client, seeded, django_capture_on_commit_callbacks):
    response = register(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response.url == reverse("portal:register-done")
    user = get_user_model().objects.get(email="fatma@verein.example")
    assert user.username == "fatma@verein.example" and not user.is_active
    org = Organisation.objects.get(name="Brückenbauer e. V.")
    assert org.verified_at is None and org.kind == "migrantenorganisation"
    assert org.iban == "DE02120300000000202051" and org.non_profit and org.register_number == "VR 4711"
    assert org.regierungsbezirk == org.district.regierungsbezirk
    assert Membership.objects.get(user=user, organisation=org).role == Role.ADMIN
    assert mail.outbox[0].to == ["fatma@verein.example"]
    assert "bestätigen" in mail.outbox[0].subject
    done = client.get(response.url)
    assert "fatma@verein.example" in done.content.decode()


def test_inactive_user_cannot_log_in_until_confirmed(client, seeded, django_capture_on_commit_callbacks):
    register(client, django_capture_on_commit_callbacks)
    login = {"username": "fatma@verein.example", "password": "Sonnenblume-2026!"}
    assert client.post(reverse("login"), login).status_code == 200  # form error, not logged in
    path = confirmation_link()
    response = client.get("/portal/" + path)
    assert response.status_code == 200
    assert "Ihre E-Mail-Adresse ist bestätigt" in response.content.decode()
    assert get_user_model().objects.get(email="fatma@verein.example").is_active
    response = client.post(reverse("login"), login)
    assert response.status_code == 302 and response.url == reverse("portal:dashboard")
    # confirming twice is harmless
    assert client.get("/portal/" + path).status_code == 200


def test_unverified_notice_shown_until_staff_verify(client, seeded, django_capture_on_commit_callbacks):
    register(client, django_capture_on_commit_callbacks)
    client.get("/portal/" + confirmation_link())
    user = get_user_model().objects.get(email="fatma@verein.example")
    org = Organisation.objects.get(name="Brückenbauer e. V.")
    client.force_login(user)
    page = client.get(reverse("portal:members", kwargs={"org_id": org.pk})).content.decode()
    assert "noch nicht geprüft" in page
    staff_user = get_user_model().objects.create_user("staff@rp.wir", "staff@rp.wir", PASSWORD, is_staff=True)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        accounts.verify_organisation(organisation=org, user=staff_user)
    org.refresh_from_db()
    assert org.verified_at is not None and org.verified_by == staff_user
    assert mail.outbox[0].to == ["info@brueckenbauer.example"]
    page = client.get(reverse("portal:members", kwargs={"org_id": org.pk})).content.decode()
    assert "noch nicht geprüft" not in page


def test_only_staff_may_verify(seeded, django_capture_on_commit_callbacks):
    from tests.factories import OrganisationFactory, UserFactory

    org = OrganisationFactory(verified_at=None)
    with pytest.raises(accounts.AccountError):
        accounts.organisation_verify(organisation=org, user=UserFactory())
    org.refresh_from_db()
    assert org.verified_at is None


def test_expired_link_is_refused_and_a_new_one_can_be_requested(client, seeded, django_capture_on_commit_callbacks,
                                                                 monkeypatch, settings):
    settings.WIR_REGISTRATION_CONFIRM_DAYS = 3
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() - 3 * 86400 - 60)  # token signed 3 days + 1 min ago
    register(client, django_capture_on_commit_callbacks)
    monkeypatch.setattr(time, "time", real_time)
    response = client.get("/portal/" + confirmation_link())
    assert response.status_code == 400
    assert "abgelaufen" in response.content.decode()
    assert not get_user_model().objects.get(email="fatma@verein.example").is_active

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # the mail leaves the outbox after the commit
        response = client.post(reverse("portal:register-resend"), {"email": "FATMA@verein.example"})
    assert response.status_code == 302
    assert client.get("/portal/" + confirmation_link()).status_code == 200
    assert get_user_model().objects.get(email="fatma@verein.example").is_active


def test_resend_says_nothing_about_unknown_addresses(client, seeded):
    response = client.post(reverse("portal:register-resend"), {"email": "niemand@example.org"}, follow=True)
    assert "Falls zu dieser Adresse" in response.content.decode()
    assert mail.outbox == []


@pytest.mark.parametrize("tamper", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),   # signature changed
    lambda t: "x" + t,                                               # payload changed
    lambda t: "kein-token",
])
def test_tampered_link_is_refused(client, seeded, django_capture_on_commit_callbacks, tamper):
    register(client, django_capture_on_commit_callbacks)
    token = confirmation_link().split("/")[-2]
    response = client.get(reverse("portal:register-confirm", kwargs={"token": tamper(token)}))
    assert response.status_code == 400
    assert "ungültig" in response.content.decode()
    assert not get_user_model().objects.get(email="fatma@verein.example").is_active


def test_token_of_another_purpose_is_refused(client, seeded):
    from django.core import signing

    user = get_user_model().objects.create_user("x@y.example", "x@y.example", PASSWORD, is_active=False)
    token = signing.dumps({"u": user.pk, "e": user.email}, salt="another.purpose", compress=True)
    assert client.get(reverse("portal:register-confirm", kwargs={"token": token})).status_code == 400
    user.refresh_from_db()
    assert not user.is_active


def test_staff_deactivated_account_is_not_reactivated_by_old_link(client, seeded, django_capture_on_commit_callbacks):
    from django.utils import timezone

    register(client, django_capture_on_commit_callbacks)
    path = confirmation_link()
    client.get("/portal/" + path)
    get_user_model().objects.filter(email="fatma@verein.example").update(is_active=False, last_login=timezone.now())
    assert client.get("/portal/" + path).status_code == 400
    assert not get_user_model().objects.get(email="fatma@verein.example").is_active


def test_municipal_kinds_cannot_self_register(client, seeded):
    response = client.post(reverse("portal:register"), form_data(kind="landkreis"))
    assert response.status_code == 200
    assert "kind" in response.context["form"].errors
    with pytest.raises(accounts.AccountError):
        accounts.registration_create(
            person=accounts.PersonData("A", "B", "a@b.example", "Sonnenblume-2026!"),
            organisation={"name": "X", "kind": "landkreis", "email": "x@y.example"},
        )
    assert not get_user_model().objects.filter(email="a@b.example").exists()


@pytest.mark.parametrize("field,value,message", [
    ("iban", "DE00 1234 5678 9012 3456 78", "IBAN ist ungültig"),
    ("postcode", "6428", "fünfstellige Postleitzahl"),
    ("password2", "Anders-2026!!", "stimmen nicht überein"),
    ("password1", "1234567890", "Passwort"),
    ("privacy", "", "Datenschutzhinweise"),
    ("email", "keine-adresse", "gültige E-Mail-Adresse"),
])
def test_field_errors_are_german_and_keep_the_input(client, seeded, field, value, message):
    data = form_data(**{field: value})
    if field == "password1":
        data["password2"] = value
    response = client.post(reverse("portal:register"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert message in " ".join(form.errors[field])
    html = response.content.decode()
    assert "Brückenbauer e. V." in html and "Rheinstraße 5" in html  # nothing typed is lost
    assert 'aria-invalid="true"' in html
    assert f'href="#{form[field].id_for_label}"' in html  # the error summary links to the field
    assert not Organisation.objects.filter(name="Brückenbauer e. V.").exists()


def test_email_already_registered(client, seeded):
    """Issue 16: the form does not say so (the owner is mailed instead, tests/…/test_sec_mail.py)."""
    get_user_model().objects.create_user("fatma@verein.example", "fatma@verein.example", PASSWORD)
    response = client.post(reverse("portal:register"), form_data(email="FATMA@verein.example"))
    assert response.status_code == 302 and response.url == reverse("portal:register-done")
    assert Organisation.objects.filter(name="Brückenbauer e. V.").count() == 0


def test_logged_in_users_are_sent_to_the_dashboard(client, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("portal:register"))
    assert response.status_code == 302 and response.url == reverse("portal:dashboard")


def test_mail_failure_does_not_lose_the_registration(client, seeded, django_capture_on_commit_callbacks, monkeypatch):
    from django.core.mail import EmailMultiAlternatives
    from django.utils import timezone

    from applications.models import MailStatus, OutboundMail
    from applications.notices.outbox import mail_outbox_flush

    def broken(self, *args, **kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr(EmailMultiAlternatives, "send", broken)
    response = register(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert Organisation.objects.filter(name="Brückenbauer e. V.").exists()
    [queued] = OutboundMail.objects.filter(kind="registration_confirm")
    assert queued.status == MailStatus.QUEUED and "mail server down" in queued.last_error and not mail.outbox
    monkeypatch.undo()
    assert mail_outbox_flush(now=timezone.now() + timezone.timedelta(hours=1)) == {MailStatus.SENT: 1}
    assert len(mail.outbox) == 1
    assert client.get("/portal/" + confirmation_link()).status_code == 200
