"""Login with e-mail, logout (POST), password reset by e-mail, password change, lock-out page (django-axes)."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(db):
    return UserFactory(email="person@test.wir", username="person@test.wir")


def test_login_with_email_case_insensitive(client, person):
    page = client.get(reverse("login"))
    assert page.status_code == 200 and "E-Mail-Adresse" in page.content.decode()
    response = client.post(reverse("login"), {"username": "Person@Test.WIR", "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("portal:dashboard")


def test_login_error_is_german_and_announced(client, person):
    response = client.post(reverse("login"), {"username": "person@test.wir", "password": "falsch"})
    html = response.content.decode()
    assert response.status_code == 200
    alert = re.search(r'<div[^>]*role="alert"[^>]*id="login-fehler"[^>]*>(.*?)</div>', html, re.S)
    assert alert, "the error is announced in a role=alert box"
    assert "und Passwort eingeben." in alert.group(1)  # Django's German message, not the English one
    assert "Please enter" not in html
    # both inputs point screen readers at that box
    assert html.count('aria-invalid="true" aria-describedby="login-fehler"') == 2


def test_logout_is_post(client, person):
    client.force_login(person)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response.url == reverse("login")
    assert "_auth_user_id" not in client.session


def test_password_reset_by_email(client, person, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    cache.clear()
    with django_capture_on_commit_callbacks(execute=True):  # through the mail outbox, sent after the commit
        response = client.post(reverse("password_reset"), {"email": "PERSON@test.wir"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "WIR-Portal: Neues Passwort festlegen"
    assert "Guten Tag" in message.body
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", message.body).group(1)
    response = client.get(link, follow=True)
    assert "Neues Passwort festlegen" in response.content.decode()
    form_url = response.redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": "Neues-Passwort-99", "new_password2": "Neues-Passwort-99"})
    assert response.status_code == 302
    assert "gespeichert" in client.get(response.url).content.decode()
    person.refresh_from_db()
    assert person.check_password("Neues-Passwort-99")
    assert "ungültig" in client.get(link, follow=True).content.decode()  # link used up


def test_password_reset_unknown_address_sends_nothing(client, db):
    response = client.post(reverse("password_reset"), {"email": "niemand@test.wir"})
    assert response.status_code == 302 and mail.outbox == []


def test_password_change(client, person):
    client.force_login(person)
    page = client.get(reverse("password_change"))
    assert page.status_code == 200 and "Passwort ändern" in page.content.decode()
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "Anderes-Passwort-42", "new_password2": "Anderes-Passwort-42",
    })
    assert response.status_code == 302
    assert "Ihr Passwort ist geändert" in client.get(response.url).content.decode()
    person.refresh_from_db()
    assert person.check_password("Anderes-Passwort-42")


def test_password_change_needs_login(client, db):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_lockout_page_after_repeated_failures(client, person, settings):
    from axes.utils import reset

    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    reset()
    try:
        for _ in range(3):
            client.post(reverse("login"), {"username": "person@test.wir", "password": "falsch"})
        response = client.post(reverse("login"), {"username": "person@test.wir", "password": PASSWORD})
        assert response.status_code == 429
        html = response.content.decode()
        assert "Anmeldung vorübergehend gesperrt" in html and "Passwort zurücksetzen" in html
        assert "_auth_user_id" not in client.session
    finally:
        reset()


def test_password_reset_is_rate_limited_per_address(client, person, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    cache.clear()
    try:
        for _ in range(5):
            with django_capture_on_commit_callbacks(execute=True):
                response = client.post(reverse("password_reset"), {"email": "person@test.wir"})
            assert response.status_code == 302 and response.url == reverse("password_reset_done")  # same answer
        assert len(mail.outbox) == 3  # at most 3 mails per address and hour
    finally:
        cache.clear()


def test_password_reset_is_rate_limited_per_ip(client, db):
    from django.core.cache import cache

    from applications.accounts.services import password_reset_allowed

    cache.clear()
    try:
        results = [password_reset_allowed(email=f"p{n}@test.wir", ip="10.0.0.1") for n in range(21)]
        assert results[:20] == [True] * 20 and results[20] is False
        assert password_reset_allowed(email="p0@test.wir", ip="10.0.0.2")  # other IP, 2nd request for p0
    finally:
        cache.clear()


@pytest.mark.parametrize("engine", ["django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db"])
def test_logout_ends_the_session_everywhere(client, person, settings, engine):
    """Both session engines the settings choose from (cached_db with a shared cache): after logout, a copy of the
    session cookie (another tab, another device, a stolen cookie) no longer logs anyone in."""
    from django.core.cache import cache
    from django.test import Client

    settings.SESSION_ENGINE = engine
    cache.clear()
    client.force_login(person)
    copy = Client()
    copy.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert copy.get(reverse("portal:dashboard")).status_code == 200
    client.post(reverse("logout"))
    response = copy.get(reverse("portal:dashboard"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
