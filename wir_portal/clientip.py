"""The real client address of a request, for rate limits (password reset, registration, login lockout).

Behind the documented reverse proxy every request comes from the proxy's address; the proxy appends the address it
saw to `X-Forwarded-For`. That header is read only when a setting says which proxies to trust — otherwise anyone
could send a made-up header and get a fresh limit with every request:

- `WIR_TRUSTED_PROXIES`: addresses or networks of the proxies (e.g. `172.16.0.0/12` for a docker network). Only
  when REMOTE_ADDR is one of them is X-Forwarded-For read, right to left, skipping further trusted proxies; the
  first address that is not a trusted proxy is the client.
- `WIR_TRUSTED_PROXY_COUNT`: the number of proxies in front of the app (each appends one address); the client is
  that many entries from the right of X-Forwarded-For. Use it when the proxies' addresses are not fixed.
With neither (the default) REMOTE_ADDR is the client.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]):
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in spec if item.strip())


def _ip(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address, networks) -> bool:
    return address is not None and any(address in net for net in networks)


def client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or ""
    networks = _networks(tuple(getattr(settings, "WIR_TRUSTED_PROXIES", ()) or ()))
    count = int(getattr(settings, "WIR_TRUSTED_PROXY_COUNT", 0) or 0)
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if networks:
        if not _trusted(_ip(remote), networks):
            return remote
        for candidate in reversed(forwarded):
            address = _ip(candidate)
            if address is None:
                return remote  # a garbled header: do not guess
            if not _trusted(address, networks):
                return str(address)
        return remote
    if count > 0 and len(forwarded) >= count:
        address = _ip(forwarded[-count])
        if address is not None:
            return str(address)
    return remote
