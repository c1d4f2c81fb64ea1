"""Control characters are refused in the single-line fields of the user admin too (issue 16), with a message at
the field and nothing saved."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("bad", ["Anna\r\nBcc: x@example.org", "Anna\x00", "A\u2028B"])
def test_user_admin_refuses_control_characters(client, seeded, bad):
    User = get_user_model()  # noqa: N806
    admin_user = User.objects.create_superuser(username="root", email="root@example.org", password="x-Pass-12345!")
    target = User.objects.create_user(username="anna", email="anna@example.org", first_name="Anna")
    client.force_login(admin_user)
    url = reverse("admin:auth_user_change", args=[target.pk])
    response = client.post(url, {"username": "anna", "first_name": bad, "last_name": "B", "email": "anna@example.org",
                                 "is_active": "on", "date_joined_0": "2026-01-01", "date_joined_1": "10:00:00"})
    assert response.status_code == 200
    assert "first_name" in response.context["adminform"].form.errors
    target.refresh_from_db()
    assert target.first_name == "Anna"
