"""Safe PDF rendering with WeasyPrint.

The renderer never reads a file or fetches a URL it was not given by us: its URL fetcher serves only the portal's
own static files (found through django.contrib.staticfiles finders/storage, the same files `{% static %}` names)
and refuses everything else — file://, http(s)://, data:, relative paths that escape STATIC_URL. Fonts come from
fontconfig (DejaVu), not from URLs. Output is PDF/A-3a: archival (fonts embedded, XMP metadata) and tagged at once —
a structure tree (headings, paragraphs, tables, lists in document order), document language and title — because
Hessen's accessibility regulation (HVBIT) covers PDF documents too. WeasyPrint 70's "pdf/a-3a" variant implies
`pdf_tags=True`; we pass it explicitly so a change of variant never silently drops the tags.
"""

from __future__ import annotations

import logging
import mimetypes
import posixpath
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders

log = logging.getLogger(__name__)

PDF_VARIANT = "pdf/a-3a"
PDF_OPTIONS = {"pdf_variant": PDF_VARIANT, "pdf_tags": True}
# A fixed base URL: relative references in our templates resolve under it and nowhere else.
BASE_URL = "https://wir-portal.invalid/"
DEFAULT_AUTHOR = "Regierungspräsidium Darmstadt"


class RefusedURL(ValueError):
    """A URL the renderer will not fetch (only the portal's own static files are served)."""


def static_path_for(url: str) -> str | None:
    """The static file path ('css/notice.css') a URL points to, or None if it is not one of ours."""
    parts = urlsplit(url)
    static_prefix = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL
    base = urlsplit(BASE_URL)
    if parts.scheme != base.scheme or parts.netloc != base.netloc or parts.query:
        return None
    path = unquote(parts.path)
    if not path.startswith(static_prefix):
        return None
    relative = path[len(static_prefix):]
    normalised = posixpath.normpath(relative)
    if not relative or normalised.startswith(("..", "/")) or normalised != relative or "\\" in relative:
        return None
    return normalised


def _weasy():
    import weasyprint
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    return weasyprint, URLFetcher, URLFetcherResponse


def make_url_fetcher(*, record: list[str] | None = None):
    """A WeasyPrint URL fetcher that serves only our static files. `record` (a list) collects every URL asked for."""
    _, URLFetcher, URLFetcherResponse = _weasy()

    class StaticOnlyFetcher(URLFetcher):
        def __init__(self):
            super().__init__(allowed_protocols=(), allow_redirects=False, fail_on_errors=False)

        def fetch(self, url, headers=None):  # noqa: ARG002 - WeasyPrint's signature
            if record is not None:
                record.append(url)
            relative = static_path_for(url)
            found = finders.find(relative) if relative else None
            if not found:
                log.warning("PDF renderer refused URL %r", url[:200])
                raise RefusedURL(f"URL not allowed in PDFs: {url[:200]}")
            with open(found, "rb") as fh:
                body = fh.read()
            mime = mimetypes.guess_type(found)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body=body, headers={"Content-Type": mime})

    return StaticOnlyFetcher()


def static_url(path: str) -> str:
    """The URL under which the renderer serves a static file (for templates rendered to PDF)."""
    return BASE_URL.rstrip("/") + settings.STATIC_URL.rstrip("/") + "/" + path.lstrip("/")


def render_pdf(html: str, *, title: str, author: str = DEFAULT_AUTHOR, subject: str = "",
               keywords: Iterable[str] = (), record: list[str] | None = None) -> bytes:
    """Render trusted template output (already autoescaped) to a tagged archival PDF (PDF/A-3a, fonts embedded).

    The document language comes from the template's <html lang="de"> (and the metadata below), the title from
    `title` (shown by readers instead of the file name)."""
    weasyprint, _, _ = _weasy()
    document = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=make_url_fetcher(record=record)).render()
    document.metadata.title = title
    document.metadata.authors = [author]
    document.metadata.description = subject
    document.metadata.keywords = [k for k in keywords if k]
    document.metadata.lang = "de"
    document.metadata.generator = "WIR-Portal"
    return document.write_pdf(**PDF_OPTIONS)
