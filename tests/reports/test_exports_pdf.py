"""CSV/XLSX exports (streamed, typed, German headers, filters applied) and the background PDF report."""

import csv
import io
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from openpyxl import load_workbook

from reports.models import ReportJob
from reports.services import report_job_run

pytestmark = pytest.mark.django_db


def _csv(response):
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_applications_csv_is_streamed_with_german_headers_and_filters(client, figures, report_user):
    client.force_login(report_user)
    rows = _csv(client.get("/berichte/export/antraege.csv?jahr=2027"))
    header, body = rows[0], rows[1:]
    assert header[:4] == ["Antrags-ID", "Aktenzeichen", "Titel des Vorhabens", "Organisation"]
    assert "Bewilligt (€)" in header and "Landkreis / Stadt" in header
    assert len(body) == 6  # drafts included: the export lists all applications of the filter
    by_number = {r[1]: dict(zip(header, r, strict=True)) for r in body}
    a2 = by_number["WIR-2027-IP-0002"]
    assert a2["Status"] == "Teilweise bewilligt" and a2["Bewilligt (€)"] == "35000,00"
    assert a2["Art der Organisation"] == "Kreisfreie Stadt"
    assert by_number["WIR-2027-MO-0001"]["Landkreis / Stadt"] == "Marburg"
    rows = _csv(client.get("/berichte/export/antraege.csv?jahr=2027&art=migrantenorganisation"))
    assert [r[1] for r in rows[1:]] == ["WIR-2027-MO-0001"]
    assert len(_csv(client.get("/berichte/export/antraege.csv?jahr=2016"))) == 1  # header only


def test_ledger_csv_sums_to_the_reports_committed(client, figures, report_user):
    client.force_login(report_user)
    rows = _csv(client.get("/berichte/export/buchungen.csv?jahr=2027"))
    header = rows[0]
    col = header.index("Gebunden (€, Freigaben negativ)")
    total = sum(Decimal(r[col].replace(",", ".")) for r in rows[1:])
    assert total == Decimal("90100.00")
    kinds = {r[header.index("Art")] for r in rows[1:]}
    assert kinds == {"Bindung (Bewilligung)", "Freigabe", "Auszahlung"}
    all_years = _csv(client.get("/berichte/export/buchungen.csv"))
    assert len(all_years) - 1 == len(rows) - 1 + 1  # plus the 2028 commitment of the split


def test_xlsx_has_typed_numbers_and_german_headers(client, figures, report_user):
    client.force_login(report_user)
    response = client.get("/berichte/export/antraege.xlsx?jahr=2027")
    assert isinstance(response, StreamingHttpResponse)  # streamed while the rows are read
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    assert header[1] == "Aktenzeichen" and "Beantragt (€)" in header
    approved = header.index("Bewilligt (€)")
    year = header.index("Programmjahr")
    values = [r[approved] for r in rows[1:] if r[approved] is not None]
    assert all(isinstance(v, (int, float)) for v in values)
    assert sum(Decimal(str(v)) for v in values) == Decimal("50000") + Decimal("35000") + Decimal("10200")
    assert {r[year] for r in rows[1:]} == {2027}
    ledger = client.get("/berichte/export/buchungen.xlsx?jahr=2027")
    ws = load_workbook(io.BytesIO(b"".join(ledger.streaming_content)), read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    col = rows[0].index("Gebunden (€, Freigaben negativ)")
    assert sum(Decimal(str(r[col])) for r in rows[1:]) == Decimal("90100.00")


def test_unknown_export_is_404(client, seeded, report_user):
    client.force_login(report_user)
    assert client.get("/berichte/export/nutzer.csv").status_code == 404
    assert client.get("/berichte/export/antraege.pdf").status_code == 404


def test_pdf_report_is_generated_in_background_and_downloadable(client, figures, report_user,
                                                               django_capture_on_commit_callbacks):
    client.force_login(report_user)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post("/berichte/pdf/neu/?bereich=", {"year_from": "2026", "year_to": "2027"})
    assert len(callbacks) == 1  # the task is queued only after the commit
    job = ReportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/berichte/pdf/{job.pk}/"
    assert (job.status, job.progress, job.year_from, job.year_to) == ("done", 100, 2026, 2027)
    status = client.get(f"/berichte/pdf/{job.pk}/status").json()
    assert status["finished"] and status["download"] == f"/berichte/pdf/{job.pk}/download"
    page = client.get(f"/berichte/pdf/{job.pk}/").content.decode()
    assert "PDF herunterladen" in page and "report-job.js" not in page  # finished: no polling
    pdf = client.get(f"/berichte/pdf/{job.pk}/download")
    body = b"".join(pdf.streaming_content)
    assert body.startswith(b"%PDF") and pdf["Content-Disposition"].startswith("attachment")
    assert 'filename="WIR-Programmbericht-2026-2027.pdf"' in pdf["Content-Disposition"]
    from pypdf import PdfReader

    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    assert "Programmbericht 2026–2027" in text and "90.100,00 €" in text


def test_pdf_job_runs_once_and_failures_are_visible(seeded, report_user, monkeypatch):
    job = ReportJob.objects.create(year_from=2027, year_to=2027, created_by=report_user)
    monkeypatch.setattr("wir_portal.pdf.render_pdf", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("x")))
    job = report_job_run(job_id=job.pk)
    assert job.status == "failed" and "RuntimeError" in job.message and not job.file
    assert report_job_run(job_id=job.pk).status == "failed"  # not picked up again


def test_running_job_page_polls_with_static_script(client, seeded, report_user):
    job = ReportJob.objects.create(year_from=2027, year_to=2027, created_by=report_user, status="running", progress=40)
    client.force_login(report_user)
    html = client.get(f"/berichte/pdf/{job.pk}/").content.decode()
    assert "/static/reports/report-job.js" in html and 'value="40"' in html
    assert '<meta http-equiv="refresh"' in html  # inside <noscript>
    assert client.get(f"/berichte/pdf/{job.pk}/download").status_code == 404


@pytest.mark.parametrize("years", [{"year_from": "1" + "0" * 30}, {"year_from": "2026", "year_to": "99999"},
                                   {"year_from": "zwei"}])
def test_pdf_report_with_impossible_years_is_refused(client, report_user, years):
    client.force_login(report_user)
    assert client.post("/berichte/pdf/neu/", years).status_code == 404
    assert not ReportJob.objects.exists()
