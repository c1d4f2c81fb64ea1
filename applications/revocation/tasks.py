"""Celery beat task of the revocation room. Thin: calls one service; idempotent (one Mahnung per level)."""

from celery import shared_task

from applications.revocation import services


@shared_task(name="applications.revocation.tasks.revocation_claim_reminders")
def revocation_claim_reminders() -> int:
    return services.claim_reminders_send()
