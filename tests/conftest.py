"""Shared fixtures: the seeded programme, and owner / colleague / outsider (like healthchecks' alice, bob, charlie)."""

import os

# Playwright runs an event loop in the test thread; Django's ORM refuses to run there unless this is set. Set here,
# before Django is set up, so that plain `pytest` works as well as `make test` (the README's command).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from wir_portal.celery import app as celery_app  # noqa: E402

REQUIRE_SERVICES = os.environ.get("WIR_REQUIRE_SERVICES", "").lower() in {"1", "true", "yes"}
CHROMIUM = "/usr/bin/chromium"


def _missing(what: str):
    """Skip locally; fail in CI, where every service must be there."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required in CI (WIR_REQUIRE_SERVICES=true) but not available")
    pytest.skip(f"{what} not available")


@pytest.fixture(autouse=True)
def _private_media(tmp_path, settings):
    """Each test stores uploads and PDFs in its own folder and writes mail to memory."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": tmp_path / "media"}},
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.AXES_ENABLED = False


@pytest.fixture(autouse=True)
def _staff_force_login_with_second_factor():
    """`client.force_login(staff_user)` signs staff in WITH a verified second factor (a test TOTP device, see
    applications/accounts/mfa/testing.py), as every staff session must be. Sessions without it are made with
    `testing.force_login_unverified` or a real password login; tests/applications/accounts/mfa/ checks that those
    are refused everywhere."""
    from django.test import Client

    from applications.accounts.mfa import services as mfa_services
    from applications.accounts.mfa import testing as mfa_testing

    def force_login(self, user, backend=None):
        mfa_testing.ClientMixin.force_login(self, user, backend)
        if mfa_services.is_staff_account(user):
            mfa_testing.verify_session(self, user)

    with pytest.MonkeyPatch.context() as patch:  # its own: a test's monkeypatch.undo() must not remove it
        patch.setattr(Client, "force_login", force_login)
        yield


@pytest.fixture(autouse=True)
def _eager_celery(request):
    """Unit tests run tasks eagerly; tests marked celery_worker use the real broker and worker."""
    if request.node.get_closest_marker("celery_worker"):
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def require_postgres(db):
    if connection.vendor != "postgresql":
        _missing("PostgreSQL (DATABASE_URL)")


@pytest.fixture
def require_broker():
    if not settings.CELERY_BROKER_URL:
        _missing("A Celery broker (CELERY_BROKER_URL)")


def _chromium_missing() -> bool:
    return not os.path.exists(CHROMIUM)


@pytest.fixture(scope="session")
def browser_type_launch_args():
    """pytest-playwright launches the browser through this fixture before any test-level guard runs, so the guard
    lives here: without Chromium every browser test is skipped locally and fails in CI."""
    if _chromium_missing():
        _missing(f"Chromium ({CHROMIUM})")
    return {"executable_path": CHROMIUM, "headless": True,
            "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run"]}


@pytest.fixture
def require_browser():
    if _chromium_missing():
        _missing("Chromium (/usr/bin/chromium)")


def _seed_reference() -> None:
    from applications.demo import seed_entity_organisations
    from applications.notices.legal import seed_legal_texts
    from applications.roles import seed_groups
    from funding.seed import seed_reference_data

    seed_reference_data()
    seed_groups()
    seed_legal_texts()
    seed_entity_organisations()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Seed the reference data once per test database; each test's transaction rolls back on top of it."""
    with django_db_blocker.unblock():
        _seed_reference()


@pytest.fixture
def seeded(db):
    """Programme years, lines, rules, districts, courts, groups, legal texts and the 33 entity organisations.

    Already there from django_db_setup; a transactional test before this one may have flushed it, so re-seed then
    (the seed is idempotent)."""
    from django.contrib.auth.models import Group

    from funding.models import ProgrammeYear

    if not ProgrammeYear.objects.exists() or not Group.objects.exists():
        _seed_reference()


@pytest.fixture
def demo(seeded):
    from applications.demo import seed_demo

    seed_demo()
