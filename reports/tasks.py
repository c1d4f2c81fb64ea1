"""Celery tasks of the reports (routed to the "pdf" queue by settings.CELERY_TASK_ROUTES)."""

from celery import shared_task


@shared_task(name="reports.tasks.report_pdf_render", acks_late=True, queue="pdf")
def report_pdf_render(job_id: int) -> None:
    from .services import report_job_run

    report_job_run(job_id=job_id)
