"""Lost device: a verified superuser resets ANOTHER person's factors in the admin, with a reason, audited; nobody
removes or resets their own factors without passing one. Staff always keep one factor."""

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from applications.accounts.mfa import services, testing
from applications.models import FactorAction, FactorEvent

from .conftest import password_login, totp_device

pytestmark = pytest.mark.django_db


def reset_url(user):
    return reverse("admin:auth_user_mfa_reset", args=[user.pk])


def test_superuser_resets_a_lost_device_with_an_audit_event(client, superuser, sachbearbeitung):
    totp_device(sachbearbeitung)
    services.backup_codes_generate(user=sachbearbeitung)
    testing.force_login_verified(client, superuser)
    change = client.get(reverse("admin:auth_user_change", args=[sachbearbeitung.pk]))
    assert reset_url(sachbearbeitung) in change.content.decode()

    page = client.post(reset_url(sachbearbeitung), {"reason": ""})
    assert page.status_code == 200 and "Bitte geben Sie eine Begründung an." in page.content.decode()
    assert TOTPDevice.objects.filter(user=sachbearbeitung).exists()

    response = client.post(reset_url(sachbearbeitung), {"reason": "Smartphone verloren, Rückruf am 28.11. geprüft"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=sachbearbeitung).exists()
    assert not StaticDevice.objects.filter(user=sachbearbeitung).exists()
    event = FactorEvent.objects.get(action=FactorAction.RESET)
    assert event.subject == sachbearbeitung and event.actor == superuser
    assert "Chefin" in event.actor_name and "Sach" in event.subject_name
    assert event.reason == "Smartphone verloren, Rückruf am 28.11. geprüft"

    # the person signs in and must enrol anew
    other = Client()
    password_login(other, sachbearbeitung)
    response = other.get("/admin/")
    assert response.status_code == 302 and response.url.startswith(reverse("mfa:overview") + "?")

    # the audit trail is visible to superusers in the admin, read-only
    page = client.get(reverse("admin:applications_factorevent_changelist"))
    assert page.status_code == 200 and "Alle Faktoren zurückgesetzt" in page.content.decode()
    assert client.get(reverse("admin:applications_factorevent_change", args=[event.pk])).status_code == 200
    assert client.post(reverse("admin:applications_factorevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403


def test_reset_of_a_session_in_use_ends_its_verification(client, superuser, sachbearbeitung):
    victim = Client()
    testing.force_login_verified(victim, sachbearbeitung)
    assert victim.get("/admin/").status_code == 200
    services.factors_reset(target=sachbearbeitung, actor=superuser, actor_verified=True, reason="Gerät gestohlen")
    response = victim.get("/admin/")
    assert response.status_code == 302 and response.url.startswith("/konto/sicherheit/")


def test_nobody_resets_their_own_factors(client, superuser):
    totp_device(superuser)
    testing.force_login_verified(client, superuser)
    page = client.post(reset_url(superuser), {"reason": "ich selbst"})
    assert page.status_code == 200
    assert "Ihre eigenen Faktoren können Sie hier nicht zurücksetzen." in page.content.decode()
    assert TOTPDevice.objects.filter(user=superuser, name="Handy").exists()
    assert not FactorEvent.objects.filter(action=FactorAction.RESET).exists()


def test_only_superusers_reset(client, sachbearbeitung, seeded):
    from tests.factories import staff

    colleague = staff("Sachbearbeitung")
    totp_device(colleague)
    testing.force_login_verified(client, sachbearbeitung)
    assert client.post(reset_url(colleague), {"reason": "bitte"}).status_code == 403
    assert TOTPDevice.objects.filter(user=colleague, name="Handy").exists()
    with pytest.raises(services.FactorError):
        services.factors_reset(target=colleague, actor=sachbearbeitung, actor_verified=True, reason="x")


def test_unverified_superuser_cannot_reset(client, superuser, sachbearbeitung):
    totp_device(sachbearbeitung)
    testing.force_login_unverified(client, superuser)
    response = client.post(reset_url(sachbearbeitung), {"reason": "Gerät weg"})
    assert response.status_code == 302 and response.url.startswith("/konto/sicherheit/")
    assert TOTPDevice.objects.filter(user=sachbearbeitung).exists()
    with pytest.raises(services.FactorError, match="eigenen zweiten Faktor"):
        services.factors_reset(target=sachbearbeitung, actor=superuser, actor_verified=False, reason="Gerät weg")


@pytest.mark.parametrize("object_id", ["abc", "99999999999999999999", "0", "424242"])
def test_reset_page_with_odd_ids_answers_404(client, superuser, object_id):
    testing.force_login_verified(client, superuser)
    assert client.get(f"/admin/auth/user/{object_id}/zweiter-faktor-zuruecksetzen/").status_code == 404


def test_own_factor_removed_only_after_verification(client, applicant):
    device = totp_device(applicant)
    password_login(client, applicant)
    url = reverse("mfa:remove", args=["totp", device.pk])
    response = client.post(url)
    assert response.status_code == 302 and response.url.startswith(reverse("mfa:verify"))
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    with pytest.raises(services.FactorError):
        services.factor_remove(user=applicant, device=device, verified=False)


def test_applicant_removes_own_factor_when_verified(client, applicant):
    device = totp_device(applicant)
    services.backup_codes_generate(user=applicant)
    client.force_login(applicant)
    testing.verify_session(client, applicant)
    testing_device = TOTPDevice.objects.get(user=applicant, name=testing.TEST_DEVICE_NAME)
    assert client.post(reverse("mfa:remove", args=["totp", device.pk])).status_code == 302
    assert client.post(reverse("mfa:remove", args=["totp", testing_device.pk])).status_code == 302
    assert not TOTPDevice.objects.filter(user=applicant).exists()
    assert not StaticDevice.objects.filter(user=applicant).exists()  # the backup codes went with the last factor
    assert FactorEvent.objects.filter(subject=applicant, action=FactorAction.REMOVED).count() == 2
    # no factor left: the applicant is not asked any more
    assert client.get(reverse("portal:dashboard")).status_code == 200


def test_staff_keep_at_least_one_factor(client, sachbearbeitung):
    device = testing.force_login_verified(client, sachbearbeitung)
    client.post(reverse("mfa:remove", args=["totp", device.pk]))
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    second = totp_device(sachbearbeitung, name="Zweitgerät")
    client.post(reverse("mfa:remove", args=["totp", device.pk]))
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    # the session stays verified (by the remaining factor), the admin stays open
    assert client.get("/admin/").status_code == 200
    assert client.session[services.DEVICE_ID_SESSION_KEY] == second.persistent_id


def test_other_peoples_factors_answer_404(client, applicant, sachbearbeitung):
    foreign = totp_device(sachbearbeitung)
    client.force_login(applicant)
    testing.verify_session(client, applicant)
    assert client.get(reverse("mfa:remove", args=["totp", foreign.pk])).status_code == 404
    assert client.post(reverse("mfa:remove", args=["totp", foreign.pk])).status_code == 404
    assert client.get(reverse("mfa:remove", args=["fremd", foreign.pk])).status_code == 404
    assert client.get("/konto/sicherheit/entfernen/totp/99999999999999999999/").status_code == 404
    assert TOTPDevice.objects.filter(pk=foreign.pk).exists()


def test_device_admins_of_django_otp_are_not_exposed(client, superuser):
    """They would show TOTP secrets and delete factors without an audit entry."""
    testing.force_login_verified(client, superuser)
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert client.get("/admin/otp_static/staticdevice/").status_code == 404


def test_user_list_shows_who_has_a_factor_at_constant_cost(client, superuser, seeded):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import UserFactory

    testing.force_login_verified(client, superuser)
    url = reverse("admin:auth_user_changelist")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        page = client.get(url)
    assert page.status_code == 200 and "Zweiter Faktor" in page.content.decode()
    for _ in range(8):
        totp_device(UserFactory())
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    assert len(many) == len(few)
    html = page.content.decode()
    assert html.count('alt="True"') >= 9  # eight new users and the superuser's own test device
