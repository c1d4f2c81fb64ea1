"""Trust exactly the reverse proxy in front of the portal (compose: the `proxy` service, Caddy).

With WIR_TRUSTED_PROXIES set (IP addresses or networks), a request whose REMOTE_ADDR is one of them may say, in
X-Forwarded-Proto, that the client used HTTPS (SECURE_PROXY_SSL_HEADER), and the client address the proxy
appended last to X-Forwarded-For becomes REMOTE_ADDR — so login throttling and logs see the client, not the proxy.
From anyone else (another container, a client talking to a web replica directly) these headers are removed before
Django looks at them: a client cannot claim HTTPS or a fake address.
"""

from __future__ import annotations

from ipaddress import ip_address, ip_network

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed

FORWARDED_HEADERS = ("HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_HOST",
                     "HTTP_X_FORWARDED_PORT", "HTTP_FORWARDED")


def _address(value: str):
    try:
        return ip_address(value.strip())
    except ValueError:
        return None


class TrustedProxyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.networks = [ip_network(n, strict=False) for n in getattr(settings, "WIR_TRUSTED_PROXIES", [])]
        if not self.networks:
            raise MiddlewareNotUsed

    def trusted(self, remote: str) -> bool:
        address = _address(remote)
        return address is not None and any(address in network for network in self.networks)

    def __call__(self, request):
        meta = request.META
        if self.trusted(meta.get("REMOTE_ADDR", "")):
            client = _address(meta.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1])
            if client is not None:
                meta["REMOTE_ADDR"] = str(client)
        else:
            for header in FORWARDED_HEADERS:
                meta.pop(header, None)
        return self.get_response(request)
