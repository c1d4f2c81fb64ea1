"""Hostile query strings answer a message, never a 500 (issue 16).

A NUL byte cannot be sent to PostgreSQL (psycopg refuses it), and a date part such as `created_at__year=99999999999`
overflows Python's date arithmetic inside Django's lookups — both used to end in a 500 in every admin list. This
middleware looks at the query string once, before any view:
- in the admin, an offending parameter is dropped and the page is shown without it, with a German message;
- elsewhere the request is answered 400 with a German text;
- a NUL byte or other control character in the path answers 404.
"""

import re
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponseBadRequest, HttpResponseNotFound, HttpResponseRedirect

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Date-part lookups and their sane range (Django builds dates from them; beyond year 9999 Python overflows).
_DATE_PARTS = {
    "year": (1, 9999), "iso_year": (1, 9999), "month": (1, 12), "day": (1, 31), "week": (1, 53),
    "week_day": (1, 7), "iso_week_day": (1, 7), "quarter": (1, 4), "hour": (0, 23), "minute": (0, 59),
    "second": (0, 59),
}
_DATE_PART_KEY = re.compile(r"__(" + "|".join(_DATE_PARTS) + r")(?:__(?:exact|gte|gt|lte|lt|in))?$")
MAX_PARAM_LENGTH = 2000


def _bad_value(key: str, value: str) -> bool:
    if _CONTROL.search(key) or _CONTROL.search(value) or len(value) > MAX_PARAM_LENGTH:
        return True
    match = _DATE_PART_KEY.search(key)
    if match:
        low, high = _DATE_PARTS[match.group(1)]
        for part in value.split(",") if key.endswith("__in") else [value]:
            if not re.fullmatch(r"[0-9]{1,4}", part.strip()) or not low <= int(part) <= high:
                return True
    return False


class HostileInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _CONTROL.search(request.path):
            return HttpResponseNotFound("Diese Seite gibt es nicht.", content_type="text/plain; charset=utf-8")
        bad = [key for key, values in request.GET.lists() if any(_bad_value(key, v) for v in values)]
        if bad:
            if request.path.startswith("/admin/"):
                kept = [(k, v) for k, values in request.GET.lists() if k not in bad for v in values]
                try:
                    messages.error(request, "Eine ungültige Filterangabe wurde ignoriert.")
                except messages.MessageFailure:
                    pass
                query = urlencode(kept)
                return HttpResponseRedirect(request.path + (f"?{query}" if query else ""))
            return HttpResponseBadRequest(
                "Ungültige Anfrage: ein Parameter enthält Steuerzeichen oder einen unmöglichen Wert.",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
