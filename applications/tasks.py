"""Celery tasks: thin wrappers that take primary keys, load, and call a service."""

from celery import shared_task


@shared_task(name="applications.tasks.notice_process", bind=True, max_retries=6, acks_late=True)
def notice_process(self, notice_id: int) -> None:
    from .notice_pipeline import notice_run

    notice_run(notice_id=notice_id, task=self)
