"""Settings switching, checked in fresh interpreters (settings are read once at start-up)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import django, json; from django.conf import settings; django.setup(); "
    "print(json.dumps({'engine': settings.DATABASES['default']['ENGINE'], 'eager': settings.CELERY_TASK_ALWAYS_EAGER,"
    " 'mail': settings.EMAIL_BACKEND, 'debug': settings.DEBUG, 'lang': settings.LANGUAGE_CODE, 'tz': settings.TIME_ZONE,"
    " 'hsts': getattr(settings, 'SECURE_HSTS_SECONDS', 0), 'secure_cookie': settings.SESSION_COOKIE_SECURE}))"
)


def _run(env_extra: dict, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {
        "DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_URL", "WIR_PRODUCTION", "DJANGO_SECRET_KEY", "DJANGO_DEBUG",
        "ALLOWED_HOSTS"}}
    env.update({"DJANGO_SETTINGS_MODULE": "wir_portal.settings", "WIR_VAR_DIR": str(tmp_path), **env_extra})
    return subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True)


def test_no_configuration_gives_embedded_defaults(tmp_path):
    import json

    result = _run({}, tmp_path)
    assert result.returncode == 0, result.stderr
    cfg = json.loads(result.stdout)
    assert cfg["engine"] == "django.db.backends.sqlite3"
    assert cfg["eager"] is True
    assert cfg["mail"].endswith("filebased.EmailBackend")
    assert (cfg["lang"], cfg["tz"]) == ("de", "Europe/Berlin")
    assert (tmp_path / "secret_key").exists()


def test_database_url_switches_to_postgresql_and_broker_disables_eager(tmp_path):
    import json

    result = _run({"DATABASE_URL": "postgres://u:p@db:5432/wir", "CELERY_BROKER_URL": "redis://r:6379/0",
                   "EMAIL_URL": "smtp://mail:1025"}, tmp_path)
    assert result.returncode == 0, result.stderr
    cfg = json.loads(result.stdout)
    assert cfg["engine"] == "django.db.backends.postgresql"
    assert cfg["eager"] is False
    assert cfg["mail"].endswith("smtp.EmailBackend")


def test_production_refuses_to_start_without_secret_key(tmp_path):
    result = _run({"WIR_PRODUCTION": "true", "ALLOWED_HOSTS": "wir.example.org"}, tmp_path)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_hardening_is_on(tmp_path):
    import json

    result = _run({"WIR_PRODUCTION": "true", "ALLOWED_HOSTS": "wir.example.org",
                   "DJANGO_SECRET_KEY": "x" * 20 + "abcdefghijklmnopqrstuvwxyz0123456789"}, tmp_path)
    assert result.returncode == 0, result.stderr
    cfg = json.loads(result.stdout)
    assert cfg["debug"] is False and cfg["hsts"] >= 31536000 and cfg["secure_cookie"] is True


def test_boolean_typo_is_an_error(tmp_path):
    result = _run({"WIR_PRODUCTION": "ture"}, tmp_path)
    assert result.returncode != 0 and "not a boolean" in result.stderr


def test_iban_validation_rejects_bad_iban():
    from applications.models import validate_iban

    validate_iban("DE89370400440532013000")
    with pytest.raises(ValidationError, match="IBAN ist ungültig"):
        validate_iban("DE89370400440532013001")


def test_money_filter_formats_german_and_refuses_floats():
    from decimal import Decimal

    from wir_portal.money import format_eur, parse_eur

    assert format_eur(Decimal("1234.5")) == "1.234,50 €"
    assert format_eur(Decimal("50000")) == "50.000,00 €"
    assert format_eur(Decimal("-0.5")) == "-0,50 €"
    assert parse_eur("1.234,56") == Decimal("1234.56")
    with pytest.raises(TypeError):
        format_eur(1.5)


@pytest.mark.parametrize("typed", ["20.000", "20,000", "20.000,00", "1e4", "zwanzigtausend", "-5", "20000.123"])
def test_four_eyes_threshold_is_parsed_strictly(typed, tmp_path):
    """`WIR_FOUR_EYES_THRESHOLD=20.000` once became 20,00 €: an amount that is not plain digits refuses to start."""
    result = _run({"WIR_FOUR_EYES_THRESHOLD": typed}, tmp_path)
    assert result.returncode != 0
    assert "WIR_FOUR_EYES_THRESHOLD" in result.stderr and "not an amount in euros" in result.stderr


@pytest.mark.parametrize(("typed", "expected"), [("20000", "20000"), ("20000.50", "20000.50"), ("0", "0")])
def test_four_eyes_threshold_plain_amounts(typed, expected, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "WIR_FOUR_EYES_THRESHOLD"}
    env.update({"DJANGO_SETTINGS_MODULE": "wir_portal.settings", "WIR_VAR_DIR": str(tmp_path),
                "WIR_FOUR_EYES_THRESHOLD": typed})
    result = subprocess.run([sys.executable, "-c", "import django; from django.conf import settings; django.setup(); "
                             "print(repr(settings.WIR_FOUR_EYES_THRESHOLD))"], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Decimal('{expected}')"


def test_benchmark_page_is_not_routed_by_default_and_refused_in_production(tmp_path):
    probe = ("import django; from django.conf import settings; django.setup(); from django.urls import resolve, "
             "Resolver404\ntry:\n    resolve('/bench/bare'); print('routed')\nexcept Resolver404:\n    print('absent')")
    env = {k: v for k, v in os.environ.items() if k not in {"WIR_BENCHMARK", "WIR_PRODUCTION"}}
    env.update({"DJANGO_SETTINGS_MODULE": "wir_portal.settings", "WIR_VAR_DIR": str(tmp_path)})
    absent = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True)
    assert absent.stdout.strip() == "absent", absent.stderr
    routed = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env={**env, "WIR_BENCHMARK": "true"},
                            capture_output=True, text=True)
    assert routed.stdout.strip() == "routed", routed.stderr
    production = _run({"WIR_BENCHMARK": "true", "WIR_PRODUCTION": "true", "DJANGO_DEBUG": "false",
                       "ALLOWED_HOSTS": "wir.example.org", "DJANGO_SECRET_KEY": "x" * 20 + "abcdefghij" * 4}, tmp_path)
    assert production.returncode != 0 and "WIR_BENCHMARK" in production.stderr


def test_site_url_follows_the_port_make_run_serves_on(tmp_path):
    """PORT=8100 make run: the runserver binds 8100 and links in e-mails point there; SITE_URL set wins."""
    probe = "import django; from django.conf import settings; django.setup(); print(settings.SITE_URL)"
    env = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "PORT", "WIR_PRODUCTION", "DJANGO_DEBUG"}}
    env.update({"DJANGO_SETTINGS_MODULE": "wir_portal.settings", "WIR_VAR_DIR": str(tmp_path)})

    def site_url(**extra):
        result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env={**env, **extra}, capture_output=True,
                                text=True)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert site_url() == "http://127.0.0.1:8000"
    assert site_url(PORT="8100") == "http://127.0.0.1:8100"
    assert site_url(PORT="8100", SITE_URL="https://wir.example.org/") == "https://wir.example.org"

    make = subprocess.run(["make", "-n", "run"], cwd=ROOT, env={**env, "PORT": "8100"}, capture_output=True,
                          text=True)
    assert make.returncode == 0, make.stderr
    assert "runserver 127.0.0.1:8100" in make.stdout
    assert "http://127.0.0.1:8100/accounts/login/" in make.stdout
