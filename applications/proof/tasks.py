"""Celery beat tasks of the proof of use. Thin: each calls one service; both are idempotent."""

from celery import shared_task

from applications.proof import services


@shared_task(name="applications.proof.tasks.proof_reminders")
def proof_reminders() -> dict:
    """Create the proofs that funded applications owe, then send the reminders that are due (once each)."""
    return {"proofs": services.proofs_ensure_all(), "reminders": services.proof_reminders_send()}
