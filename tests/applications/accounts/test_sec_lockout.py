"""Issue 16: the login lockout counts one name however it is typed (case, surrounding spaces), in the portal
login and the admin login; the client address behind a proxy is read only from trusted proxies."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory
from wir_portal.clientip import client_ip

pytestmark = pytest.mark.django_db

VARIANTS = ["person@test.wir", "PERSON@TEST.WIR", "Person@Test.wir", "  person@test.wir  ", "\tPerson@TEST.wir "]


@pytest.fixture
def person(db):
    return UserFactory(email="person@test.wir", username="person@test.wir")


@pytest.fixture
def axes_on(settings):
    from axes.utils import reset

    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    reset()
    yield
    reset()


@pytest.mark.parametrize("url_name", ["login", "admin:login"])
def test_variants_of_the_name_share_one_failure_count(client, person, axes_on, url_name):
    url = reverse(url_name)
    for variant in VARIANTS:  # five failures, each typed differently
        client.post(url, {"username": variant, "password": "falsch"})
    for variant in VARIANTS:  # ... lock every spelling, even with the right password
        response = client.post(url, {"username": variant, "password": PASSWORD})
        assert response.status_code == 429, variant
        assert "_auth_user_id" not in client.session


def test_four_failures_in_mixed_case_do_not_lock_and_the_right_password_still_works(client, person, axes_on):
    for variant in VARIANTS[:4]:
        client.post(reverse("login"), {"username": variant, "password": "falsch"})
    response = client.post(reverse("login"), {"username": " PERSON@test.wir ", "password": PASSWORD})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(person.pk)


def _request(remote, forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_forwarded_for_is_ignored_without_a_trusted_proxy(settings):
    settings.WIR_TRUSTED_PROXIES = []
    settings.WIR_TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request("10.0.0.5", "1.2.3.4")) == "10.0.0.5"


def test_trusted_proxy_network_gives_the_real_client(settings):
    settings.WIR_TRUSTED_PROXIES = ["172.16.0.0/12"]
    assert client_ip(_request("172.18.0.3", "198.51.100.7")) == "198.51.100.7"
    # a client-sent (spoofed) entry left of the real one is not believed
    assert client_ip(_request("172.18.0.3", "6.6.6.6, 198.51.100.7")) == "198.51.100.7"
    # a request that did not come through the proxy: its header is not believed
    assert client_ip(_request("203.0.113.9", "6.6.6.6")) == "203.0.113.9"
    assert client_ip(_request("172.18.0.3", "not-an-ip")) == "172.18.0.3"


def test_trusted_proxy_count(settings):
    settings.WIR_TRUSTED_PROXIES = []
    settings.WIR_TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request("172.18.0.3", "6.6.6.6, 198.51.100.7")) == "198.51.100.7"
    assert client_ip(_request("172.18.0.3")) == "172.18.0.3"


def test_password_reset_limit_behind_the_proxy_is_per_real_client(client, person, settings,
                                                                   django_capture_on_commit_callbacks):
    """21 requests for unknown addresses from one client must not switch resets off for everyone else behind
    the same proxy."""
    from django.core import mail
    from django.core.cache import cache

    settings.WIR_TRUSTED_PROXIES = ["10.0.0.0/8"]
    cache.clear()
    try:
        for n in range(25):
            client.post(reverse("password_reset"), {"email": f"unknown{n}@test.wir"},
                        REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.66")
        with django_capture_on_commit_callbacks(execute=True):  # the mail leaves the outbox after the commit
            response = client.post(reverse("password_reset"), {"email": "person@test.wir"},
                                   REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.10")
        assert response.status_code == 302
        assert [m.to for m in mail.outbox] == [["person@test.wir"]]
        # the abusing client itself is throttled (spoofing a header entry does not help)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("password_reset"), {"email": "person@test.wir"},
                        REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.66")
        assert len(mail.outbox) == 1
    finally:
        cache.clear()
