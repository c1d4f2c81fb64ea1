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
        fund(application(organisation=OrganisationFactory(iban=IBAN), grant="300000.00", costs="300000.00"),
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
