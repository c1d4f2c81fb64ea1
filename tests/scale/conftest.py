import pytest


@pytest.fixture(autouse=True)
def _bench_urls(settings):
    """The benchmark's floor page is routed only with WIR_BENCHMARK; these tests use a URLconf that includes it."""
    settings.ROOT_URLCONF = "wir_portal.bench.urls_test"
