"""Benchmark hook: 10,000 payments in one run export as pain.001 and CSV in seconds with flat memory (the peak
for 10,000 payments is about the peak for 2,000: streamed per chunk, never the whole file)."""

import time
import tracemalloc
from decimal import Decimal

from applications.models import Payment
from applications.payments import exports
from tests.factories import OrganisationFactory, application
from tests.payments.conftest import IBAN, fund
from wir_portal.bench.scale import scale_seed_payments


def _peaks(run):
    tracemalloc.start()
    size = sum(len(chunk) for chunk in exports.sepa_stream(run))
    _, sepa_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    rows = sum(1 for _ in exports.csv_stream(run))
    _, csv_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return size, rows, sepa_peak, csv_peak


def test_ten_thousand_payments_stream(seeded):
    for _ in range(20):
        fund(application(organisation=OrganisationFactory(iban=IBAN), code="integrationsprojekte", year=2027, grant="300000.00", costs="300000.00"),
             {2027: Decimal("300000.00")})
    small = scale_seed_payments(count=2_000, seed=1)
    run = scale_seed_payments(count=10_000)
    assert run.count == 10_000 == Payment.objects.filter(run=run).count()
    started = time.perf_counter()
    assert len(exports.sepa_bytes(run)) > 2_000_000
    "".join(exports.csv_stream(run))
    elapsed = time.perf_counter() - started
    _, _, small_sepa, small_csv = _peaks(small)
    size, rows, sepa_peak, csv_peak = _peaks(run)
    print(f"\n10,000 payments: pain.001 {size / 1e6:.1f} MB + CSV in {elapsed:.1f} s; peak SEPA "
          f"{sepa_peak / 1e6:.1f} MB (2,000: {small_sepa / 1e6:.1f}), CSV {csv_peak / 1e6:.1f} MB "
          f"(2,000: {small_csv / 1e6:.1f})")
    assert rows == 10_001
    assert sepa_peak < 1.5 * small_sepa  # flat: five times the rows, about the same memory
    assert csv_peak < 5_000_000  # a few MB whatever the run (SQLite reads the chunks of 2,000 rows)
    assert elapsed < 30
    assert exports.pain001_validate(exports.sepa_bytes(run)) == []


def test_payment_pages_are_measured_at_scale(seeded):
    """seed_scale seeds payments in every state; the benchmark measures the applicant's payment page, the staff
    list of open requests and the payment run's change page (their query counts are compared before and after
    the data grows in tests/scale/test_query_budget.py, which takes every page of the discovery)."""
    import io

    from django.core.management import call_command

    from applications.models import PaymentStatus
    from wir_portal.bench.management.commands.benchmark import Discovery

    call_command("seed_scale", applications=120, organisations=15, seed=41, owner_applications=40, verbosity=0,
                 stdout=io.StringIO())
    # 120 / 20 = 6 payments requested by default, some of them on the owner's applications
    assert Payment.objects.exclude(status=PaymentStatus.PAID).exists()
    discovery = Discovery(io.StringIO())
    pages = {p.key: p for p in discovery.pages()}
    for key in ("payments_applicant", "payments_open_requests", "paymentrun_change"):
        page = pages[key]
        assert page.url and discovery.status(page) == 200, (key, page.url, page.note)
    html = discovery.client(pages["payments_applicant"].user).get(pages["payments_applicant"].url).content.decode()
    assert 'name="amount"' in html  # the request form is on the measured page


def test_benchmark_payments_executes_and_exports(seeded):
    import io

    from django.core.management import call_command

    from wir_portal.bench.management.commands.benchmark_payments import payments_benchmark

    call_command("seed_scale", applications=60, organisations=10, seed=42, owner_applications=10, verbosity=0,
                 stdout=io.StringIO())
    before = Payment.objects.count()
    result = payments_benchmark(count=300)
    assert result["seeded"] == result["ledger_rows"] == 300
    assert result["invariant_ok"] is True and result["pain001_errors"] == 0
    assert result["execute_queries"] < 40  # a constant number, not one query set per payment
    assert result["export"]["payments"] == 300 and result["export_small"]["payments"] == 60  # 300 / 5
    assert Payment.objects.count() == before  # rolled back
