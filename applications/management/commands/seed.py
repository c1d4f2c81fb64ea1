from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from applications.demo import DEMO_PASSWORD, seed_demo, seed_entity_organisations
from applications.notices.legal import seed_legal_texts
from applications.roles import seed_groups
from funding.seed import seed_reference_data

DEMO_LOGINS = [
    ("giessen@demo.wir", "Zeichnungsberechtigt, Landkreis Gießen"),
    ("frankfurt@demo.wir", "Zeichnungsberechtigt, Frankfurt am Main"),
    ("verein@demo.wir", "Mitglied, Demo-Migrantenorganisation"),
    ("vorstand@demo.wir", "Organisations-Administration, Demo-Migrantenorganisation"),
    ("traeger@demo.wir", "Organisations-Administration, Demo-Träger Kassel"),
    ("sachbearbeitung@demo.wir", "Ministerium: Sachbearbeitung"),
    ("bewilligung@demo.wir", "Ministerium: Bewilligung"),
    ("haushalt@demo.wir", "Ministerium: Haushalt"),
    ("admin@demo.wir", "Superuser"),
]


class Command(BaseCommand):
    help = "Load programme years, funding lines with yearly rules and the 33 entities (idempotent); --demo adds demo data."

    def add_arguments(self, parser):
        parser.add_argument("--demo", action="store_true", help="also create demo organisations, accounts, applications")

    def handle(self, *args, demo=False, **options):
        seed_reference_data()
        seed_groups()
        seed_legal_texts()
        seed_entity_organisations()
        self.stdout.write("Programmjahre, Förderbereiche, Förderregeln, 33 Gebietskörperschaften: geladen.")
        if demo:
            if settings.PRODUCTION:
                raise CommandError("--demo is refused in production mode (WIR_PRODUCTION=true).")
            seed_demo()
            self.stdout.write(f"Demo-Zugänge (Passwort für alle: {DEMO_PASSWORD}):")
            for email, role in DEMO_LOGINS:
                self.stdout.write(f"  {email:28} {role}")
            from applications.accounts.mfa.services import DEMO_TOTP_SECRET

            self.stdout.write(f"Zweiter Faktor der Ministeriumskonten (Authenticator-App, nur Entwicklung): "
                              f"{DEMO_TOTP_SECRET} – aktueller Code: manage.py mfa_demo_code")
