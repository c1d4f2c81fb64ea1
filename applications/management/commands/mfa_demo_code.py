from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from applications.accounts.mfa.services import DEMO_TOTP_SECRET, demo_totp_code


class Command(BaseCommand):
    help = "Print the current code of the demo staff accounts' authenticator app (development only)."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("Demo-Faktoren sind im Produktivbetrieb nicht erlaubt (WIR_PRODUCTION=true).")
        self.stdout.write(f"{demo_totp_code()}  (Schlüssel {DEMO_TOTP_SECRET}, gilt 30 Sekunden)")
