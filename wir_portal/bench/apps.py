from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Benchmark tooling: synthetic data at scale and the load benchmarks (management commands only)."""

    name = "wir_portal.bench"
    label = "bench"
    verbose_name = "Benchmark"
