"""Send the mails of the outbox that are due (the same as the minute sweep of Celery beat), e.g. after a mail
server outage without a beat process, or with --now to ignore the backoff."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from applications.notices.outbox import mail_outbox_flush


class Command(BaseCommand):
    help = "Versendet fällige E-Mails aus dem Postausgang (mit --now auch solche, deren Wartezeit noch läuft)."

    def add_arguments(self, parser):
        parser.add_argument("--now", action="store_true", help="do not wait for the backoff of queued mails")

    def handle(self, *args, **options):
        counts = _flush_queued_now() if options["now"] else mail_outbox_flush()
        self.stdout.write(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "nichts fällig")


def _flush_queued_now() -> dict[str, int]:
    """Every queued mail at once (the backoff ignored); claims of running workers are respected."""
    from applications.models import MailStatus, OutboundMail

    OutboundMail.objects.filter(status=MailStatus.QUEUED).update(next_attempt_at=timezone.now())
    return mail_outbox_flush()
