"""Counting rate limits in the cache (shared between processes with CACHE_URL=redis://…).

`allow("invitation", {"user": (user.pk, 10), "organisation": (org.pk, 30)}, window=3600)` counts one request under
every key and says whether all of them are still within their limit. Keys are signed hashes (no addresses in the
cache). A limit that is reached stays reached until its window expires.
"""

import logging

from django.core import signing
from django.core.cache import cache

log = logging.getLogger(__name__)


def _key(scope: str, kind: str, value) -> str:
    digest = signing.Signer(salt=f"wir.ratelimit.{scope}").signature(f"{kind}:{value}".lower())
    return f"wir:rl:{scope}:{kind}:{digest}"


def allow(scope: str, limits: dict[str, tuple[object, int]], *, window: int) -> bool:
    allowed = True
    for kind, (value, limit) in limits.items():
        key = _key(scope, kind, value if value not in (None, "") else "unknown")
        cache.add(key, 0, window)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, window)
            count = 1
        if count > limit:
            allowed = False
    if not allowed:
        log.warning("rate limit %s reached (%s)", scope, ", ".join(limits))
    return allowed
