"""What each kind of notice says: text extracted from the real PDF (rendered eagerly through the pipeline)."""

import io
import os
import pathlib
from decimal import Decimal

import pytest
from pypdf import PdfReader

from applications.models import Notice, NoticeKind, NoticeStatus
from funding.models import FinancingType, LineRule

from .conftest import amended, decided, entity_org, normalised, pdf_bytes, pdf_text, submitted

pytestmark = pytest.mark.django_db


def _notice(app, kind) -> Notice:
    notice = Notice.objects.get(application=app, kind=kind)
    assert notice.status == NoticeStatus.SENT, notice.last_error
    data = pdf_bytes(notice)
    dump = os.environ.get("WIR_NOTICE_DUMP")
    if dump:  # look at them: WIR_NOTICE_DUMP=/tmp/h5pdf pytest tests/notices/test_content.py; pdftoppm -png -r 60
        pathlib.Path(dump).mkdir(exist_ok=True)
        (pathlib.Path(dump) / f"{kind}-{app.organisation.name[:12].replace(' ', '_')}.pdf").write_bytes(data)
    return notice


def test_approval_contains_the_legally_required_parts(giessen, people, django_capture_on_commit_callbacks):
    LineRule.objects.filter(line__code="integrationsprojekte", programme_year__year=2027).update(
        conditions="Die Ergebnisse des Projekts sind in einer Abschlussveranstaltung vorzustellen.")
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(giessen, title="Willkommenskultur im Landkreis", grant="50000.00", costs="68000.00")
    with django_capture_on_commit_callbacks(execute=True):
        decided(app, people, action="approve")
    notice = _notice(app, NoticeKind.APPROVAL)
    text = normalised(pdf_text(pdf_bytes(notice)))
    assert "Zuwendungsbescheid" in text
    assert "Regierungspräsidium Darmstadt" in text                    # authority letterhead
    assert "Landkreis Gießen" in text and "Riversplatz 1–9" in text     # exact recipient and address
    assert app.file_number in text                                     # Aktenzeichen
    assert notice.created_at.strftime("%d.%m.%Y") in text              # date, German format
    assert "Projektförderung" in text and "höchstens 50.000,00 €" in text   # ceiling amount in figures
    assert "Fehlbedarfsfinanzierung" in text
    assert "68.000,00 €" in text and "Personalausgaben" in text         # eligible expenses table
    assert "vom 01.01.2027 bis 31.12.2027" in text                      # funding period
    assert "Bestandteil dieses Bescheids" in text                       # application part of the notice
    assert "innerhalb von zwei Monaten" in text                         # payment
    assert "30.06.2028" in text and "Sachbericht" in text and "Belegliste" in text  # proof of use
    assert "ANBest-GK" in text and "ANBest-P," not in text              # municipality → municipal variant
    assert "in einer Abschlussveranstaltung vorzustellen" in text       # the line's own conditions
    assert "fünf Prozentpunkten über dem Basiszinssatz" in text and "§ 49a" in text
    assert "bedarf es einer Begründung nicht" in text                   # met in full
    assert "Verwaltungsgericht Gießen, Marburger Straße 4, 35390 Gießen" in text
    assert "§ 16a" in text and "innerhalb eines Monats" in text
    assert "Berta Bewilligerin" in text                                 # signature block
    assert notice.legal_versions["remedies"] == 1 and notice.legal_versions["anbest_gk"] == 1
    assert notice.context["court"]["name"] == "Verwaltungsgericht Gießen"


def test_every_page_is_numbered_seite_x_von_y(giessen, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(giessen)
    with django_capture_on_commit_callbacks(execute=True):
        decided(app, people)
    reader = PdfReader(io.BytesIO(pdf_bytes(Notice.objects.get(application=app, kind=NoticeKind.APPROVAL))))
    pages = len(reader.pages)
    assert pages >= 2
    for number, page in enumerate(reader.pages, start=1):
        assert f"Seite {number} von {pages}" in normalised(page.extract_text())


def test_partial_approval_of_an_association_gives_reasons_anbest_p_and_the_rate(verein, people,
                                                                              django_capture_on_commit_callbacks):
    from tests.factories import rule

    r = rule("integrationsprojekte", 2027)
    r.financing_type, r.funding_rate = FinancingType.ANTEIL, Decimal("80.00")
    r.save(update_fields=["financing_type", "funding_rate"])
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(verein, code="integrationsprojekte", grant="8000.00", costs="10000.00", title="Willkommenscafé")
    with django_capture_on_commit_callbacks(execute=True):
        decided(app, people, action="partially_approve", amount="6500.00",
                reasons="Die Honorarsätze übersteigen die Obergrenze.\n\nDie Raummiete ist nicht zuwendungsfähig.")
    text = normalised(pdf_text(pdf_bytes(_notice(app, NoticeKind.APPROVAL))))
    assert "Teilbewilligung" in text and "höchstens 6.500,00 €" in text and "Beantragt waren 8.000,00 €" in text
    assert "Anteilfinanzierung in Höhe von 80 % der zuwendungsfähigen Ausgaben" in text
    assert "ANBest-P" in text and "ANBest-GK" not in text
    assert "nicht in vollem Umfang entsprochen" in text and "Die Raummiete ist nicht zuwendungsfähig." in text
    # Sonderstatusstadt Gießen → court of its Landkreis
    assert "Verwaltungsgericht Gießen" in text
    assert "Brückenbauer Gießen e. V." in text and "Marktplatz 3" in text


def test_rejection_gives_reasons_and_the_frankfurt_court(seeded, people, django_capture_on_commit_callbacks):
    frankfurt = entity_org("Frankfurt am Main")
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(frankfurt, title="Willkommenskultur Frankfurt")
    with django_capture_on_commit_callbacks(execute=True):
        decided(app, people, action="reject", reasons="Die Mittel des Förderbereichs sind ausgeschöpft.")
    notice = _notice(app, NoticeKind.REJECTION)
    text = normalised(pdf_text(pdf_bytes(notice)))
    assert "Ablehnungsbescheid" in text and "abgelehnt" in text and app.file_number in text
    assert "Frankfurt am Main" in text and "50.000,00 €" in text
    assert "Die Mittel des Förderbereichs sind ausgeschöpft." in text
    assert "Verwaltungsgericht Frankfurt am Main, Adalbertstraße 18, 60486 Frankfurt am Main" in text
    assert "Rechtsbehelfsbelehrung" in text


def test_amendment_shows_old_and_new_amount(giessen, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(giessen)
    with django_capture_on_commit_callbacks(execute=True):
        decided(app, people, action="approve")
    with django_capture_on_commit_callbacks(execute=True):
        amended(app, people, year_amounts={2027: Decimal("42000.00")},
                decision_reasons="Die Stelle wurde erst zum 01.03.2027 besetzt.")
    notice = _notice(app, NoticeKind.AMENDMENT)
    text = normalised(pdf_text(pdf_bytes(notice)))
    assert "Änderungsbescheid" in text and app.file_number in text
    assert "bisher höchstens 50.000,00 €" in text and "neu höchstens 42.000,00 €" in text
    assert "erst zum 01.03.2027 besetzt" in text
    assert "Verwaltungsgericht Gießen" in text
    approval = Notice.objects.get(application=app, kind=NoticeKind.APPROVAL)
    assert f"Nr. {approval.number}" in text.replace("- ", "-")  # the PDF may wrap after a hyphen


def test_receipt_names_the_application_and_the_early_start_ban(giessen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(giessen, title="Willkommenskultur im Landkreis")
    notice = _notice(app, NoticeKind.RECEIPT)
    text = normalised(pdf_text(pdf_bytes(notice)))
    assert "Eingangsbestätigung" in text and app.file_number in text
    assert app.submitted_at.strftime("%d.%m.%Y") in text
    assert "Integrations- und Teilhabeprojekte" in text and "50.000,00 €" in text
    assert "vorzeitigen Maßnahmebeginns" in text
    assert "Rechtsbehelfsbelehrung" not in text  # a receipt is not an administrative act


def test_unknown_court_refuses_to_render_with_a_clear_error(seeded, people, django_capture_on_commit_callbacks):
    from tests.factories import OrganisationFactory

    org = OrganisationFactory(kind="landkreis", district=None)
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(org)
    with django_capture_on_commit_callbacks(execute=True):
        decided(app, people, action="reject", reasons="Nicht antragsberechtigt.")
    notice = Notice.objects.get(application=app, kind=NoticeKind.REJECTION)
    assert notice.status == NoticeStatus.FAILED
    assert "Verwaltungsgericht" in notice.last_error and "Sitz" in notice.last_error
    assert not notice.pdf and notice.sent_at is None


def test_pdf_is_pdf_a_with_metadata_and_embedded_fonts(giessen, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(giessen)
    with django_capture_on_commit_callbacks(execute=True):
        decided(app, people)
    notice = Notice.objects.get(application=app, kind=NoticeKind.APPROVAL)
    data = pdf_bytes(notice)
    reader = PdfReader(io.BytesIO(data))
    meta = reader.metadata
    assert meta.title == f"Zuwendungsbescheid {app.file_number}"
    assert meta.author == "Regierungspräsidium Darmstadt"
    assert app.file_number in reader.metadata.get("/Keywords", "")
    xmp = reader.xmp_metadata
    assert xmp is not None
    raw = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert "pdfaid:part" in raw and ("pdfaid:part>3<" in raw or 'pdfaid:part="3"' in raw)
    assert "/OutputIntents" in reader.trailer["/Root"]
    fonts = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            descriptor = (descendants[0].get_object() if descendants else font)["/FontDescriptor"].get_object()
            fonts.append(any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")))
    assert fonts and all(fonts)
    import hashlib

    assert notice.sha256 == hashlib.sha256(data).hexdigest()
