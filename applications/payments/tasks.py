"""Celery beat tasks of the payment side. Thin: each calls one service; both are idempotent."""

from celery import shared_task

from applications.payments import services


@shared_task(name="applications.payments.tasks.payments_tranches_fall_due")
def payments_tranches_fall_due() -> int:
    return services.tranches_fall_due()


@shared_task(name="applications.payments.tasks.payments_spend_reminders")
def payments_spend_reminders() -> int:
    return services.spend_reminders_send()
