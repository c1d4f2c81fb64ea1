"""Reversing one URL pattern for many objects: a page that links a hundred rows formats strings instead of calling
reverse() a hundred times (measured: a quarter of the applicant dashboard's time, most of the admin queue's rows)."""

from collections.abc import Callable

from django.urls import reverse

_MARKER = "2147483647"  # an integer, so it also matches <int:pk> patterns


def pk_url_parts(viewname: str, *, current_app: str | None = None,
                 finish: Callable[[str], str] | None = None) -> tuple[str, str]:
    """(head, tail) with head + str(pk) + tail == reverse(viewname, args=[pk]) (then ``finish``, e.g. adding the
    admin's preserved filters)."""
    url = reverse(viewname, args=[int(_MARKER)], current_app=current_app)
    if finish is not None:
        url = finish(url)
    head, _, tail = url.partition(_MARKER)
    return head, tail


def pk_url_maker(viewname: str, **kwargs) -> Callable[[int], str]:
    """A function pk → URL for one URL pattern, reversed once."""
    head, tail = pk_url_parts(viewname, **kwargs)
    return lambda pk: f"{head}{pk}{tail}"
