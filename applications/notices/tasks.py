"""Celery tasks: thin wrappers that take primary keys, load, and call a service.

notice_render runs on the "pdf" queue (settings.CELERY_TASK_ROUTES) and hands over to notice_send on the default
queue. Both retry transient errors with exponential backoff (WIR_NOTICE_RETRY_BASE_SECONDS · 2^n); after the last
retry the notice is marked failed for staff. In eager mode (no broker) there is no waiting: a failure is recorded
at once and staff retry from the admin.
"""

import logging

from celery import shared_task
from django.conf import settings

log = logging.getLogger(__name__)

MAX_RETRIES = settings.WIR_NOTICE_MAX_RETRIES


def retry_countdown(retries: int) -> int:
    """Exponential backoff: base, 2·base, 4·base … (base 60 s → the last of six retries after ~1 hour in total)."""
    base = settings.WIR_NOTICE_RETRY_BASE_SECONDS
    return max(1, round(base * 2 ** retries))


def _retry_or_fail(task, notice_id: int, exc: Exception) -> None:
    from applications.notices.outbox import notice_fail

    if task.request.is_eager or task.request.retries >= task.max_retries:
        notice_fail(notice_id=notice_id, error=f"{type(exc).__name__}: {exc}")
        return
    countdown = retry_countdown(task.request.retries)
    log.warning("notice %s: %s; retry %s in %ss", notice_id, exc, task.request.retries + 1, countdown)
    raise task.retry(exc=exc, countdown=countdown)


@shared_task(name="applications.notices.tasks.notice_render", bind=True, max_retries=MAX_RETRIES, acks_late=True,
             soft_time_limit=120, time_limit=180)
def notice_render(self, notice_id: int) -> str:
    from applications.models import Notice, NoticeStatus
    from applications.notices.documents import NoticeError
    from applications.notices.outbox import notice_render as render

    try:
        status = render(notice_id=notice_id)
    except Notice.DoesNotExist:
        log.warning("notice %s does not exist (deleted, or a message from another database); dropped", notice_id)
        return "missing"
    except NoticeError:
        return "failed"  # recorded by the pipeline; retrying cannot help until the data is fixed
    except Exception as exc:  # noqa: BLE001 - every other error is retried, then recorded
        _retry_or_fail(self, notice_id, exc)
        return "failed"
    if status == NoticeStatus.RENDERED:
        notice_send.delay(notice_id)
    return status


@shared_task(name="applications.notices.tasks.notice_send", bind=True, max_retries=MAX_RETRIES, acks_late=True,
             soft_time_limit=60, time_limit=90)
def notice_send(self, notice_id: int) -> str:
    from applications.models import Notice
    from applications.notices.documents import NoticeError
    from applications.notices.outbox import notice_send as send

    try:
        return send(notice_id=notice_id)
    except Notice.DoesNotExist:
        log.warning("notice %s does not exist; dropped", notice_id)
        return "missing"
    except NoticeError:
        return "failed"
    except Exception as exc:  # noqa: BLE001
        _retry_or_fail(self, notice_id, exc)
        return "failed"


# Messages queued before the split into render/send still find a consumer.
@shared_task(name="applications.notices.tasks.notice_process", acks_late=True)
def notice_process(notice_id: int) -> None:
    notice_render.delay(notice_id)


@shared_task(name="applications.notices.tasks.mail_send", bind=True, max_retries=MAX_RETRIES, acks_late=True,
             soft_time_limit=60, time_limit=90)
def mail_send(self, mail_id: int) -> str:
    """Send one outgoing mail (the outbox claims it under a row lock). A transport error is recorded on the row and
    retried with backoff while the row is queued; in eager mode (no broker) the minute sweep retries it."""
    from applications.models import MailStatus, OutboundMail
    from applications.notices.documents import NoticeError
    from applications.notices.outbox import mail_send as send

    try:
        return send(mail_id=mail_id)
    except OutboundMail.DoesNotExist:
        log.warning("mail %s does not exist; dropped", mail_id)
        return "missing"
    except NoticeError:
        return MailStatus.FAILED  # the notice's PDF is damaged: recorded, staff act
    except Exception as exc:  # noqa: BLE001 - recorded on the row by the outbox
        status = OutboundMail.objects.filter(pk=mail_id).values_list("status", flat=True).first()
        if self.request.is_eager or status != MailStatus.QUEUED or self.request.retries >= self.max_retries:
            return status or "missing"
        countdown = retry_countdown(self.request.retries)
        log.warning("mail %s: %s; retry %s in %ss", mail_id, exc, self.request.retries + 1, countdown)
        raise self.retry(exc=exc, countdown=countdown)


@shared_task(name="applications.notices.tasks.mail_outbox_flush", acks_late=True, soft_time_limit=240,
             time_limit=300)
def mail_outbox_flush() -> dict:
    """Celery beat, every minute: send what is due (after an outage, a lost task or a dead worker)."""
    from applications.notices.outbox import mail_outbox_flush as flush

    return flush()
