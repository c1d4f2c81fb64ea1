"""The portal's URLs plus the benchmark's floor page, for tests of the benchmark tooling."""

from django.urls import include, path

from wir_portal.urls import urlpatterns as portal_patterns

urlpatterns = [path("", include("wir_portal.bench.urls")), *portal_patterns]
