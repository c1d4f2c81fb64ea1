"""Benchmark-only URLs: included by wir_portal/urls.py only when WIR_BENCHMARK is on (never in production)."""

from django.urls import path

from wir_portal.bench import views

urlpatterns = [path("bench/bare", views.bare, name="bench-bare")]
