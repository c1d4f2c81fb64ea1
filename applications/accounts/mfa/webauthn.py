"""Relying party of the passkeys: SITE_URL in production; in development the request's own localhost origin."""

from urllib.parse import urlparse

from django.conf import settings
from django_otp_webauthn.helpers import WebAuthnHelper

LOCAL_HOSTS = {"localhost"}


class PortalWebAuthnHelper(WebAuthnHelper):
    def _local_origin(self) -> str | None:
        """Development and tests only: http://localhost:<any port> (the live test server picks a free port)."""
        if settings.PRODUCTION:
            return None
        host = self.request.get_host()  # validated against ALLOWED_HOSTS
        if urlparse(f"//{host}").hostname in LOCAL_HOSTS:
            return f"{self.request.scheme}://{host}"
        return None

    def get_relying_party_domain(self) -> str:
        local = self._local_origin()
        return urlparse(local).hostname if local else settings.OTP_WEBAUTHN_RP_ID

    def get_allowed_origins(self) -> list[str]:
        local = self._local_origin()
        return [local] if local else list(settings.OTP_WEBAUTHN_ALLOWED_ORIGINS)
