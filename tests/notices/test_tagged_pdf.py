"""Every notice kind (and the other PDFs) is tagged and archival at once: PDF/A-3a declared in the XMP metadata, a
structure tree with headings, paragraphs and tables in reading order, document language and title (HVBIT covers
PDF documents too)."""

import io
from collections import Counter
from decimal import Decimal

import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

from applications.models import Notice, NoticeKind
from tests.notices.conftest import amended, decided, pdf_bytes, submitted

pytestmark = pytest.mark.django_db


def structure(data: bytes) -> tuple[PdfReader, list[str]]:
    """The structure element types (/S) of the PDF's tag tree, depth first (= the reading order)."""
    reader = PdfReader(io.BytesIO(data))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root, "PDF is not tagged"
    types: list[str] = []

    def walk(node):
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, ArrayObject):
            for child in node:
                walk(child)
        elif isinstance(node, DictionaryObject):
            if "/S" in node:
                types.append(str(node["/S"]))
            if "/K" in node:
                walk(node["/K"])

    walk(root["/StructTreeRoot"])
    return reader, types


def assert_tagged_pdf_a3a(data: bytes, *, title: str) -> list[str]:
    reader, types = structure(data)
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert str(root["/Lang"]) == "de"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])  # readers show the title, not the file name
    assert reader.metadata.title == title
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert ("pdfaid:part>3<" in xmp or 'pdfaid:part="3"' in xmp), xmp[:500]
    assert ("pdfaid:conformance>A<" in xmp or 'pdfaid:conformance="A"' in xmp), "not declared PDF/A-3a"
    counts = Counter(types)
    assert counts["/H1"] == 1, counts
    assert counts["/Table"] >= 1 and counts["/TR"] >= 2 and counts["/TH"] >= 1 and counts["/TD"] >= 1, counts
    assert counts["/P"] >= 2, counts
    return types


def _notice(app, kind) -> Notice:
    notice = Notice.objects.get(application=app, kind=kind)
    assert notice.pdf, notice.last_error
    return notice


def test_every_notice_kind_is_tagged_pdf_a_3a(giessen, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        approved = submitted(giessen)
    with django_capture_on_commit_callbacks(execute=True):
        decided(approved, people)
    with django_capture_on_commit_callbacks(execute=True):
        amended(approved, people, year_amounts={approved.year: Decimal("42000.00")},
                decision_reasons="Die Stelle wird erst ab März besetzt.")
    with django_capture_on_commit_callbacks(execute=True):
        rejected = submitted(giessen, code="integrationsprojekte", title="Abgelehntes Projekt")
    with django_capture_on_commit_callbacks(execute=True):
        decided(rejected, people, action="reject", reasons="Mittel ausgeschöpft.")

    notices = [(approved, NoticeKind.RECEIPT, "Eingangsbestätigung"),
               (approved, NoticeKind.APPROVAL, "Zuwendungsbescheid"),
               (approved, NoticeKind.AMENDMENT, "Änderungsbescheid"),
               (rejected, NoticeKind.REJECTION, "Ablehnungsbescheid")]
    for app, kind, subject in notices:
        types = assert_tagged_pdf_a3a(pdf_bytes(_notice(app, kind)), title=f"{subject} {app.file_number}")
        # Reading order: the subject heading comes before the sections (H2) and the sections' text.
        assert types.index("/H1") < types.index("/H2"), (kind, types[:30])
        if kind != NoticeKind.RECEIPT:
            assert "/H2" in types[types.index("/H1"):], kind


def test_approval_cost_table_has_header_cells_and_rows(giessen, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(giessen)
    with django_capture_on_commit_callbacks(execute=True):
        decided(app, people)
    _, types = structure(pdf_bytes(_notice(app, NoticeKind.APPROVAL)))
    counts = Counter(types)
    # letterhead facts, cost items, financing plan: three tables, the two money tables with a header row
    assert counts["/Table"] >= 3 and counts["/THead"] >= 2 and counts["/TBody"] >= 2, counts
    assert counts["/H2"] >= 8 and counts["/H3"] >= 1, counts


def test_application_pdf_is_tagged_with_its_attachment_list(client, giessen, django_capture_on_commit_callbacks):
    from django.urls import reverse

    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(giessen)
    signer = app.organisation.memberships.first().user
    client.force_login(signer)
    response = client.get(reverse("portal:application_pdf", kwargs={"pk": app.pk}))
    assert response.status_code == 200
    types = assert_tagged_pdf_a3a(response.content, title=f"Antrag {app.file_number}")
    counts = Counter(types)
    assert counts["/L"] >= 1 and counts["/LI"] >= 1, counts  # the attachments are a list
