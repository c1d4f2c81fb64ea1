"""`manage.py seed_scale --applications N --organisations M [--seed S]`: synthetic data for load tests."""

import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from funding.models import LineRule
from wir_portal.bench.scale import ADMIN_EMAIL, APPROVER_EMAIL, BENCH_PASSWORD, OWNER_EMAIL, REVIEWER_EMAIL, scale_seed


class Command(BaseCommand):
    requires_system_checks = []  # data generation does not need the URLconf (others may be mid-edit)
    help = ("Generate realistic bulk data (all years, lines and workflow states, cost plans, events, ledger, "
            "notices) for load tests. Respects every LineRule allocation. Refused in production mode.")

    def add_arguments(self, parser):
        parser.add_argument("--applications", type=int, default=10_000)
        parser.add_argument("--organisations", type=int, default=1_000)
        parser.add_argument("--seed", type=int, default=7, help="random seed (same seed, same data)")
        parser.add_argument("--owner-applications", type=int, default=200,
                            help=f"applications owned by {OWNER_EMAIL} (for the dashboard measurement)")
        parser.add_argument("--proofs", type=float, default=0.2,
                            help="share of funded applications that get their proofs of use with ~50 Belege each "
                                 "(0: none); the bench owner's newest funded application gets 2,000 Belege")
        parser.add_argument("--payments", type=int, default=0,
                            help="also create this many ordered payments in one payment run (SEPA/CSV export benchmark)")
        parser.add_argument("--revocations", type=int, default=None,
                            help="revocation proceedings (with claims) over funded applications, for the benchmark's "
                                 "revocation pages (default: applications / 500; 0: none)")
        parser.add_argument("--payment-requests", type=int, default=None,
                            help="payments in every open state for the payment pages (default: applications / 20)")

    def handle(self, *args, applications, organisations, seed, owner_applications, payments=0, proofs=0.2,
               revocations=None, payment_requests=None, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_scale is refused in production mode (WIR_PRODUCTION=true).")
        if applications < 1 or organisations < 1:
            raise CommandError("--applications and --organisations must be positive.")
        if not LineRule.objects.exists():
            self.stdout.write("Keine Förderregeln gefunden – führe zuerst `seed` aus.")
            call_command("seed", stdout=self.stdout)
        started = time.monotonic()
        result = scale_seed(applications=applications, organisations=organisations, seed=seed,
                            owner_applications=owner_applications, stdout=self.stdout)
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(
            f"{result.applications} Anträge, {result.organisations} Organisationen in {elapsed:.1f} s "
            f"({result.applications / elapsed:,.0f} Anträge/s)"))
        self.stdout.write(
            f"  Finanzierungspläne {result.plan_years}, Kostenpositionen {result.cost_items}, Verlauf {result.events}, "
            f"Buchungen {result.ledger_entries}, Bescheide {result.notices}, Nachrichten {result.messages}, "
            f"Mitgliedschaften {result.memberships}")
        self.stdout.write("  Status: " + ", ".join(f"{k} {v}" for k, v in sorted(result.status_counts.items())))
        self.stdout.write(f"  Wegen erschöpfter Mittel abgelehnt/zurückgezogen: {result.budget_rejections}")
        self.stdout.write("  Zeiten: " + ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items()))
        self.stdout.write(f"  Zugänge (Passwort {BENCH_PASSWORD}): {OWNER_EMAIL}, {ADMIN_EMAIL}, {REVIEWER_EMAIL}, "
                          f"{APPROVER_EMAIL}")
        if proofs:
            from wir_portal.bench.scale import scale_seed_proofs

            started = time.monotonic()
            made = scale_seed_proofs(share=proofs, seed=seed)
            self.stdout.write(f"  Verwendungsnachweise: {made['proofs']} für {made['applications']} Anträge, "
                              f"{made['expenses']} Belege ({time.monotonic() - started:.1f} s)")
        requests = applications // 20 if payment_requests is None else payment_requests
        if requests > 0:
            from wir_portal.bench.scale import scale_seed_payment_requests

            counts = scale_seed_payment_requests(count=requests, seed=seed)
            self.stdout.write("  Auszahlungen (Seiten): " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        if payments:
            from wir_portal.bench.scale import scale_seed_payments

            run = scale_seed_payments(count=payments, seed=seed)
            self.stdout.write(f"  Zahllauf {run.number}: {run.count} angeordnete Auszahlungen, {run.total} €")
        revocations = applications // 500 if revocations is None else revocations
        if revocations > 0:
            from wir_portal.bench.scale import scale_seed_revocations

            created = scale_seed_revocations(count=revocations, seed=seed)
            self.stdout.write(f"  Widerrufsverfahren: {created}")
