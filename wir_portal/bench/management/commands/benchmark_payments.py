"""`manage.py benchmark_payments [--count 10000]`: a payment run of COUNT payments — executed (time, SQL queries),
exported as pain.001 and treasury CSV (time, tracemalloc peak, compared with a run a fifth the size: flat memory
means a streamed export). Needs funded applications (`seed_scale`); everything is rolled back unless --keep."""

import time
import tracemalloc

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

EXECUTE_TARGET_S = 60.0  # 10,000 payments: ledger rows, events and mails in one transaction
EXPORT_TARGET_S = 30.0  # "in seconds" (issue 13): pain.001 + CSV of 10,000 payments


def _export(run) -> dict:
    from applications.payments import exports

    started = time.perf_counter()
    tracemalloc.start()
    sepa_size = sum(len(chunk) for chunk in exports.sepa_stream(run))
    _, sepa_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    sepa_s = time.perf_counter() - started
    started = time.perf_counter()
    csv_size = sum(len(line.encode()) for line in exports.csv_stream(run))
    _, csv_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"payments": run.count, "sepa_mb": round(sepa_size / 1e6, 2), "sepa_s": round(sepa_s, 2),
            "sepa_peak_mb": round(sepa_peak / 1e6, 2), "csv_mb": round(csv_size / 1e6, 2),
            "csv_s": round(time.perf_counter() - started, 2), "csv_peak_mb": round(csv_peak / 1e6, 2)}


def payments_benchmark(*, count: int, keep: bool = False, validate: bool = True, stdout=None) -> dict:
    from applications.payments import exports, services
    from funding.models import LedgerEntry, LedgerKind
    from funding.services import ledger_totals
    from wir_portal.bench.scale import BUDGET_EMAIL, scale_seed_payments

    user = get_user_model().objects.filter(username=BUDGET_EMAIL).first()
    if user is None:
        raise CommandError("Bench users missing: run `manage.py seed_scale` first.")
    result: dict = {"database": connection.vendor, "count": count}
    with transaction.atomic():
        small = scale_seed_payments(count=max(count // 5, 1), seed=3)
        run = scale_seed_payments(count=count, seed=4)
        result["seeded"] = run.count
        _export(small)  # warm-up: imports, the bank registry for BICs, template caches — not the export's memory
        result["export_small"] = _export(small)
        result["export"] = _export(run)
        if validate:
            started = time.perf_counter()
            result["pain001_errors"] = len(exports.pain001_validate(exports.sepa_bytes(run)))
            result["validate_s"] = round(time.perf_counter() - started, 2)
        before = LedgerEntry.objects.filter(kind=LedgerKind.PAYMENT).count()
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as ctx:
            services.run_execute(run=run, user=user)
        result["execute_s"] = round(time.perf_counter() - started, 2)
        result["execute_queries"] = len(ctx.captured_queries)
        result["ledger_rows"] = LedgerEntry.objects.filter(kind=LedgerKind.PAYMENT).count() - before
        result["invariant_ok"] = all(t["committed"] >= t["paid"] for t in ledger_totals().values())
        result["export_after"] = _export(run)  # the executed run exports the same file again
        if not keep:
            transaction.set_rollback(True)
    e, s = result["export"], result["export_small"]
    result["flat"] = e["sepa_peak_mb"] <= 1.5 * max(s["sepa_peak_mb"], 0.5) and e["csv_peak_mb"] < 5
    result["met"] = (result["execute_s"] < EXECUTE_TARGET_S and e["sepa_s"] + e["csv_s"] < EXPORT_TARGET_S
                     and result["flat"] and result["invariant_ok"] and not result.get("pain001_errors"))
    if stdout is not None:
        stdout.write(payments_text(result))
    return result


def payments_text(r: dict) -> str:
    e, s = r["export"], r["export_small"]
    return "\n".join([
        f"Payment run of {r['seeded']} payments ({r['database']}):",
        f"  execute: {r['execute_s']:.2f} s, {r['execute_queries']} SQL queries, {r['ledger_rows']} ledger rows; "
        f"committed − released ≥ paid per rule: {'yes' if r['invariant_ok'] else 'NO'}",
        f"  pain.001: {e['sepa_mb']} MB in {e['sepa_s']:.2f} s, peak {e['sepa_peak_mb']} MB "
        f"({s['payments']} payments: peak {s['sepa_peak_mb']} MB)"
        + (f"; schema errors {r['pain001_errors']} (validated in {r['validate_s']:.2f} s)" if "pain001_errors" in r
           else ""),
        f"  CSV: {e['csv_mb']} MB in {e['csv_s']:.2f} s, peak {e['csv_peak_mb']} MB "
        f"({s['payments']} payments: peak {s['csv_peak_mb']} MB)",
        f"  memory flat: {'yes' if r['flat'] else 'NO'}; targets (execute < {EXECUTE_TARGET_S:g} s, export < "
        f"{EXPORT_TARGET_S:g} s): {'met ✓' if r['met'] else 'missed ✗'}",
    ])


class Command(BaseCommand):
    help = __doc__
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=10_000)
        parser.add_argument("--keep", action="store_true", help="keep the runs (default: rolled back)")
        parser.add_argument("--no-validate", action="store_true", help="skip the XSD validation of the file")

    def handle(self, *args, count, keep, no_validate, **options):
        if settings.PRODUCTION:
            raise CommandError("benchmark_payments is refused in production mode.")
        payments_benchmark(count=count, keep=keep, validate=not no_validate, stdout=self.stdout)
