"""Formula injection through the exports (issue 16) and the streamed XLSX (issue 18).

Text typed by people (organisation names, titles, reasons) that starts like a formula must reach CSV and XLSX as
text a spreadsheet will not run; numbers (also negative ones) must stay numbers."""

import csv
import datetime
import io
import time
import tracemalloc
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from openpyxl import load_workbook

from applications.models import Application, Organisation
from funding.models import LedgerEntry
from reports.spreadsheet import SheetColumn, neutralise, xlsx_stream

pytestmark = pytest.mark.django_db

PAYLOADS = ['=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "+SUM(1;1)", "-2+3", "@SUM(1+1)",
            "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_neutralise_prefixes_every_formula_start(payload):
    assert neutralise(payload) == "'" + payload


def test_neutralise_leaves_ordinary_text_alone():
    for text in ("Landkreis Gießen", "Verein Brücke e. V.", "", "WIR-2027-IP-0001", "1+1", "E-Mail"):
        assert neutralise(text) == text


@pytest.fixture
def poisoned(figures):
    """Each payload as an organisation name, an application title and a ledger reason of the 2027 figures."""
    apps = [figures[k] for k in ("a1", "a2", "a3", "a4", "a5")]
    for app, payload in zip(apps, PAYLOADS, strict=False):
        Application.objects.filter(pk=app.pk).update(title=payload)
        Organisation.objects.filter(pk=app.organisation_id).update(name=payload + " Org")
    entries = list(LedgerEntry.objects.filter(rule__programme_year__year=2027).order_by("pk"))
    for entry, payload in zip(entries, PAYLOADS, strict=False):
        LedgerEntry.objects.filter(pk=entry.pk).update(reason=payload)
    return {app.file_number or app.pk: payload for app, payload in zip(apps, PAYLOADS, strict=False)}


def _csv_rows(response):
    text = b"".join(response.streaming_content).decode("utf-8")[1:]
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def _xlsx_rows(response):
    assert isinstance(response, StreamingHttpResponse)
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))  # not read-only: sees data types
    return list(wb.active.iter_rows())


def test_csv_export_neutralises_payloads_and_keeps_numbers(client, poisoned, report_user):
    client.force_login(report_user)
    rows = _csv_rows(client.get("/berichte/export/antraege.csv?jahr=2027"))
    header, body = rows[0], rows[1:]
    title, org = header.index("Titel des Vorhabens"), header.index("Organisation")
    seen = set()
    for row in body:
        for value in row:
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
        if row[title].lstrip("'") in PAYLOADS:
            assert row[title] == "'" + row[title][1:] and row[org] == "'" + row[title][1:] + " Org"
            seen.add(row[title][1:])
    assert seen == set(PAYLOADS[:5])
    requested = header.index("Beantragt (€)")
    assert all(Decimal(r[requested].replace(",", ".")) > 0 for r in body)  # amounts stay plain numbers

    ledger = _csv_rows(client.get("/berichte/export/buchungen.csv?jahr=2027"))
    reason, signed = ledger[0].index("Begründung"), ledger[0].index("Gebunden (€, Freigaben negativ)")
    assert {r[reason] for r in ledger[1:]} & {"'" + p for p in PAYLOADS}
    negative = [r[signed] for r in ledger[1:] if r[signed].startswith("-")]
    assert negative == ["-5000,00"]  # the release: a negative number stays a number, no apostrophe


def test_xlsx_export_has_no_formula_and_typed_numbers(client, poisoned, report_user):
    client.force_login(report_user)
    rows = _xlsx_rows(client.get("/berichte/export/antraege.xlsx?jahr=2027"))
    header = [c.value for c in rows[0]]
    title, org = header.index("Titel des Vorhabens"), header.index("Organisation")
    requested, submitted = header.index("Beantragt (€)"), header.index("Eingereicht am")
    titles = set()
    for row in rows[1:]:
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
            if isinstance(cell.value, str):
                assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r")), cell.value
        titles.add(row[title].value)
        assert row[org].data_type == "s"
        assert isinstance(row[requested].value, (int, float)) and row[requested].number_format == "#,##0.00"
        if row[submitted].value is not None:
            assert isinstance(row[submitted].value, datetime.datetime)
    assert {"'" + p for p in PAYLOADS[:5]} <= titles

    ledger = _xlsx_rows(client.get("/berichte/export/buchungen.xlsx?jahr=2027"))
    head = [c.value for c in ledger[0]]
    signed, reason = head.index("Gebunden (€, Freigaben negativ)"), head.index("Begründung")
    assert sorted(r[signed].value for r in ledger[1:] if r[signed].value < 0) == [-5000]  # numeric, negative
    assert {r[reason].value for r in ledger[1:]} & {"'" + p for p in PAYLOADS}
    for row in ledger[1:]:
        assert all(cell.data_type != "f" for cell in row)


COLUMNS = [SheetColumn("Nr", "int", 10), SheetColumn("Titel"), SheetColumn("Betrag", "money", 14),
           SheetColumn("Am", "datetime", 16)]


def _synthetic(n, pulled):
    when = datetime.datetime(2027, 3, 1, 9, 30)
    for i in range(n):
        pulled[0] += 1
        yield [i, f"Vorhaben {i} – Integrationslotsen im Landkreis", Decimal("1234.50") + i, when]


def test_xlsx_stream_sends_first_bytes_before_reading_a_row():
    pulled = [0]
    chunks = xlsx_stream(title="Anträge", columns=COLUMNS, rows=_synthetic(10, pulled))
    first = next(chunks)
    assert first.startswith(b"PK") and pulled[0] == 0
    data = first + b"".join(chunks)
    ws = load_workbook(io.BytesIO(data)).active
    assert ws["A11"].value == 9 and ws["C2"].value == Decimal("1234.50") and ws["D2"].value.hour == 9
    assert ws.freeze_panes == "A2" and ws["A1"].font.b


def _peak_while_streaming(n) -> tuple[int, float, int]:
    pulled = [0]
    tracemalloc.start()
    started = time.monotonic()
    chunks = xlsx_stream(title="Anträge", columns=COLUMNS, rows=_synthetic(n, pulled))
    next(chunks)
    first_byte = time.monotonic() - started
    size = 0
    for chunk in chunks:
        size += len(chunk)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, first_byte, size


def test_xlsx_of_100000_rows_streams_with_flat_memory():
    small_peak, _, _ = _peak_while_streaming(5_000)
    peak, first_byte, size = _peak_while_streaming(100_000)
    assert first_byte < 0.5
    assert size > 1_000_000
    # Twenty times the rows, (almost) the same memory: nothing grows with the rows.
    assert peak < small_peak + 2 * 1024 * 1024, (small_peak, peak)
    assert peak < 8 * 1024 * 1024
