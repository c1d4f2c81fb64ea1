"""PDF report jobs: create (and queue after commit), run with visible progress, store privately."""

from __future__ import annotations

import logging
from dataclasses import asdict

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from .models import ReportJob
from .selectors import ReportFilters, programme_overview, programme_trend, regions_report

log = logging.getLogger(__name__)
MAX_YEARS = 20


def report_job_create(*, user, year_from: int, year_to: int, filters: ReportFilters) -> ReportJob:
    """A queued job; the task is sent only once the row is committed, so a worker always finds it."""
    year_from, year_to = min(year_from, year_to), max(year_from, year_to)
    year_from = max(year_from, year_to - MAX_YEARS + 1)
    stored = {k: v for k, v in asdict(filters).items() if v and k != "year"}
    job = ReportJob.objects.create(year_from=year_from, year_to=year_to, filters=stored, created_by=user)
    from .tasks import report_pdf_render

    transaction.on_commit(lambda: report_pdf_render.delay(job.pk))
    return job


def _progress(job: ReportJob, progress: int, message: str = "") -> None:
    ReportJob.objects.filter(pk=job.pk).update(progress=min(progress, 100), message=message[:300])


def report_job_run(*, job_id: int) -> ReportJob | None:
    """Build the yearly sections one by one (progress after each), then render the PDF (WeasyPrint)."""
    from wir_portal.pdf import render_pdf, static_url

    from .charts import overview_chart, regions_chart, trend_charts

    with transaction.atomic():
        job = ReportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status != ReportJob.State.QUEUED:
            return job  # already taken by another (duplicate) delivery
        job.status = ReportJob.State.RUNNING
        job.save(update_fields=["status"])
    try:
        base = ReportFilters(**job.filters)
        years = list(range(job.year_from, job.year_to + 1))
        steps = len(years) + 2
        sections = []
        for i, year in enumerate(years, start=1):
            filters = ReportFilters(**{**job.filters, "year": year})
            overview = programme_overview(filters)
            regions = regions_report(filters)
            sections.append({"overview": overview, "chart": overview_chart(overview, chart_id=f"chart-lines-{year}"),
                             "regions": regions, "regions_chart": regions_chart(regions, f"chart-districts-{year}")})
            _progress(job, int(i * 80 / steps), f"Programmjahr {year} berechnet")
        trend_rows = [r for r in programme_trend(base, last_year=job.year_to) if r.year >= job.year_from]
        money_chart, count_chart = trend_charts(trend_rows, chart_prefix="pdf-trend") if len(trend_rows) > 1 else (None, None)
        _progress(job, 85, "PDF wird gesetzt")
        html = render_to_string("reports/pdf/report.html", {
            "job": job, "sections": sections, "trend_rows": trend_rows, "money_chart": money_chart,
            "count_chart": count_chart, "css_url": static_url("reports/report-pdf.css"), "generated": timezone.now(),
            "filters": base,
        })
        pdf = render_pdf(html, title=f"Programmbericht WIR {job}", subject="Landesprogramm WIR – Programmbericht",
                         keywords=["WIR", "Programmbericht", str(job.year_from), str(job.year_to)])
        job.file.save(job.download_name, ContentFile(pdf), save=False)
        job.status, job.progress, job.message = ReportJob.State.DONE, 100, ""
        job.finished_at = timezone.now()
        job.save(update_fields=["file", "status", "progress", "message", "finished_at"])
    except Exception as exc:  # the failure must be visible on the page, not only in the worker log
        log.exception("Report job %s failed", job.pk)
        ReportJob.objects.filter(pk=job.pk).update(
            status=ReportJob.State.FAILED, message=f"Der Bericht konnte nicht erstellt werden ({type(exc).__name__}).",
            finished_at=timezone.now(),
        )
        job.refresh_from_db()
    return job
