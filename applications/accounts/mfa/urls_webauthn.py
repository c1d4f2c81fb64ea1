"""django-otp-webauthn's JSON API (namespace "otp_webauthn", which its scripts reverse), with our own completion of
the sign-in ceremony: only as a second factor, and with a new session key once the passkey is verified."""

from django.urls import path
from django_otp_webauthn import urls as webauthn_urls

from .views import PasskeyVerifyView

app_name = "otp_webauthn"

urlpatterns = [
    path("authentication/complete/", PasskeyVerifyView.as_view(), name="credential-authentication-complete"),
    *[p for p in webauthn_urls.urlpatterns if p.name != "credential-authentication-complete"],
]
