"""Nothing the applicant typed can make WeasyPrint read a file or fetch a URL."""

import socket
import urllib.request

import pytest

from applications.models import CostItem, Notice, NoticeKind, NoticeStatus
from applications.notices.outbox import notice_preview_pdf
from wir_portal import pdf as pdf_module
from wir_portal.pdf import RefusedURL, make_url_fetcher, render_pdf, static_path_for, static_url

from .conftest import decided, normalised, pdf_bytes, pdf_text, submitted

pytestmark = pytest.mark.django_db

PAYLOAD = ('<img src="file:///etc/passwd"><img src="http://127.0.0.1:9/x.png">'
           '<link rel=stylesheet href="http://127.0.0.1:9/evil.css"><link rel=stylesheet href="file:///etc/passwd">'
           '<style>@import url("file:///etc/hostname");</style><iframe src="file:///etc/shadow"></iframe>')
PASSWD_MARKERS = (b"root:x:0:0", b"/bin/bash", b"nologin")


@pytest.fixture
def fetches(monkeypatch):
    """Instrument the renderer: every URL WeasyPrint asks for, every socket connect and urllib open."""
    record = {"urls": [], "connects": [], "opens": []}
    original = pdf_module.make_url_fetcher
    monkeypatch.setattr(pdf_module, "make_url_fetcher", lambda record=None: original(record=record_urls))
    record_urls = record["urls"]
    real_connect = socket.socket.connect

    def connect(self, address):
        if isinstance(address, tuple) and address[1] == 9:
            record["connects"].append(address)
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    real_open = urllib.request.OpenerDirector.open

    def opener(self, url, *args, **kwargs):
        record["opens"].append(getattr(url, "full_url", url))
        return real_open(self, url, *args, **kwargs)

    monkeypatch.setattr(urllib.request.OpenerDirector, "open", opener)
    return record


def test_payload_in_every_applicant_field_is_printed_as_text_and_never_fetched(
        verein, people, fetches, django_capture_on_commit_callbacks):
    verein.name = f"Verein {PAYLOAD}"[:200]  # cut to the column sizes (PostgreSQL enforces them)
    verein.street, verein.city = f"Str. {PAYLOAD}"[:200], f"Ort {PAYLOAD}"[:100]
    verein.save()
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(verein, code="integrationsprojekte", grant="5000.00", costs="6000.00", title=f"Titel {PAYLOAD}"[:200])
    app.purpose = app.target_group = f"Zweck {PAYLOAD}"
    app.contact_name = f"Kontakt {PAYLOAD}"[:200]
    app.save()
    CostItem.objects.filter(application=app).update(description=f"Kosten {PAYLOAD}"[:200])
    with django_capture_on_commit_callbacks(execute=True):
        decided(app, people, action="partially_approve", amount="4000.00", reasons=f"Gründe {PAYLOAD}")
    notices = list(Notice.objects.filter(application=app))
    assert {n.kind for n in notices} == {NoticeKind.RECEIPT, NoticeKind.APPROVAL}
    for notice in notices:
        assert notice.status == NoticeStatus.SENT, notice.last_error
        data = pdf_bytes(notice)
        text = normalised(pdf_text(data))
        assert not any(marker in data for marker in PASSWD_MARKERS)
        assert not any(marker.decode() in text for marker in PASSWD_MARKERS)
        assert '<img src="file:///etc/passwd">' in text  # shown literally, escaped
    approval = next(n for n in notices if n.kind == NoticeKind.APPROVAL)
    text = normalised(pdf_text(pdf_bytes(approval)))
    for label in ("Verein", "Str.", "Ort", "Zweck", "Kosten", "Gründe", "Titel"):
        assert f"{label} <img" in text, label
    preview = notice_preview_pdf(application=app, kind=NoticeKind.REJECTION, reasons=PAYLOAD)
    assert not any(marker in preview for marker in PASSWD_MARKERS)
    # The templates reference no external resource at all; whatever was asked for is one of our static files.
    assert all(static_path_for(url) for url in fetches["urls"]), fetches["urls"]
    assert fetches["connects"] == [] and fetches["opens"] == []


def test_the_fetcher_itself_refuses_everything_but_our_static_files(fetches):
    fetcher = make_url_fetcher()
    for url in ("file:///etc/passwd", "http://127.0.0.1:9/x.png", "https://example.org/x.css", "data:text/css,x",
                "ftp://127.0.0.1:9/x", static_url("../../etc/passwd"), static_url("css/../../settings.py"),
                "https://wir-portal.invalid/static/css/portal.css?x=1", "https://evil.invalid/static/css/portal.css",
                static_url("does/not/exist.css")):
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)
    response = fetcher.fetch(static_url("css/portal.css"))
    assert response.read() and response.content_type == "text/css"
    assert fetches["connects"] == [] and fetches["opens"] == []


def test_even_raw_malicious_html_reads_no_file(fetches):
    """Defence in depth: if a template ever rendered markup unescaped, the fetcher still refuses."""
    html = (f"<html><body><p>x</p>{PAYLOAD}<img src='{static_url('vendor/does-not-exist.png')}'>"
            f"<link rel=stylesheet href='{static_url('css/portal.css')}'></body></html>")
    data = render_pdf(html, title="t")
    record = fetches["urls"]
    assert data.startswith(b"%PDF")
    assert not any(marker in data for marker in PASSWD_MARKERS)
    assert "file:///etc/passwd" in record and "http://127.0.0.1:9/x.png" in record  # asked, and refused
    assert static_url("css/portal.css") in record
    assert fetches["connects"] == [] and fetches["opens"] == []
