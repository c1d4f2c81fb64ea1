"""WIR-Portal settings: one module, configured strictly from the environment.

With no environment at all the portal runs on an embedded default: SQLite under var/, Celery tasks run
eagerly, e-mail is written as files under var/mail/, uploads and generated PDFs are stored privately under
var/media/, and a secret key is generated once into var/. Every variable is listed in .env.example.
"""

import ipaddress
import os
import re
import secrets
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envbool(name: str, default: bool = False) -> bool:
    """Read a boolean strictly: a typo is an error, not a silent False."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true/false, 1/0, yes/no, on/off).")


def envint(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from exc


def envamount(name: str, default: str) -> Decimal:
    """Read a euro amount strictly, in plain notation: digits with at most one '.' and two decimals ("20000",
    "20000.50"). German grouping ("20.000") or a comma is refused, never silently read as 20,00 €."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        raw = default
    value = raw.strip()
    if not re.fullmatch(r"\d{1,12}(\.\d{1,2})?", value) or (re.fullmatch(r"\d{1,3}\.\d{3}", value)):
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not an amount in euros: write digits without grouping, e.g. 20000 or 20000.50.")
    return Decimal(value)


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


PRODUCTION = envbool("WIR_PRODUCTION", False)
DEBUG = envbool("DJANGO_DEBUG", not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must not be true when WIR_PRODUCTION is on.")

VAR_DIR = Path(os.environ.get("WIR_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# --- Secret key -------------------------------------------------------------------------------------------
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when WIR_PRODUCTION is on.")
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    SECRET_KEY = key_file.read_text().strip()
if PRODUCTION and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY is too short or too simple for production (50+ characters).")

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
# Base of the links in e-mails. Unset, it follows the port `make run` serves on (PORT, default 8000).
PORT = envint("PORT", 8000)
SITE_URL = (os.environ.get("SITE_URL") or f"http://127.0.0.1:{PORT}").rstrip("/")

# --- Applications -------------------------------------------------------------------------------------------
INSTALLED_APPS = [
    # runserver without Django's static handler: whitenoise serves static/ in development as in production
    # (Django's handler answered 500 to /static/../var/).
    "whitenoise.runserver_nostatic",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "csp",
    "funding",
    "applications",
    "reports",
    "wir_portal.bench",  # management commands seed_scale, benchmark, benchmark_notices (no models)
    # Second factor (issue 16): django-otp with TOTP, backup codes and passkeys; see applications/accounts/mfa/
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified()
    "applications.accounts.middleware.CurrentOrganisationMiddleware",  # request.current_organisation
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    "wir_portal.middleware.HostileInputMiddleware",  # NUL bytes, impossible date parts: message, never 500
    "applications.accounts.mfa.middleware.SecondFactorMiddleware",  # staff: nothing without a verified factor
]

ROOT_URLCONF = "wir_portal.urls"
WSGI_APPLICATION = "wir_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "applications.accounts.context_processors.current_organisation",
            ],
            "builtins": ["wir_portal.templatetags.money", "wir_portal.templatetags.fastforms"],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
CONN_MAX_AGE = envint("CONN_MAX_AGE", 60)
if DATABASE_URL:
    import dj_database_url

    if not DATABASE_URL.startswith(("postgres://", "postgresql://", "sqlite://")):
        raise ImproperlyConfigured("DATABASE_URL must be a postgres:// (or sqlite://) URL.")
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=CONN_MAX_AGE, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "wir.sqlite3",
            "OPTIONS": {"timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -----------------------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "wir_portal.hashers.BoundedArgon2PasswordHasher",  # Django's Argon2id, at most N hashes at once per process
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if envbool("WIR_FAST_PASSWORD_HASHER", False):  # tests only: argon2 costs ~50 ms per login
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "applications.accounts.auth.EmailBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): five failures lock the account/IP pair for 15 minutes.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = envbool("AXES_ENABLED", True)
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# One form of the login name (stripped, lower case) for the lockout and the login; the client address behind the
# reverse proxy from wir_portal.clientip (X-Forwarded-For only from the trusted proxies below).
AXES_USERNAME_CALLABLE = "applications.accounts.auth.axes_username"
AXES_CLIENT_IP_CALLABLE = "wir_portal.clientip.client_ip"
# Reverse proxies whose X-Forwarded-For is trusted for the client address (rate limits, lockout): networks or
# addresses, and/or the number of proxies in front of the app. Neither set: REMOTE_ADDR is the client.
WIR_TRUSTED_PROXIES = envlist("WIR_TRUSTED_PROXIES", [])
WIR_TRUSTED_PROXY_COUNT = envint("WIR_TRUSTED_PROXY_COUNT", 0)
for _proxy in WIR_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as exc:
        raise ImproperlyConfigured(f"WIR_TRUSTED_PROXIES: {_proxy!r} is not an IP address or network.") from exc

# --- Internationalisation -----------------------------------------------------------------------------------
LANGUAGE_CODE = "de"
LANGUAGES = [("de", "Deutsch")]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True
LOCALE_PATHS = [BASE_DIR / "locale"]

# --- Static files and private media ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = not PRODUCTION  # development: serve straight from static/ without collectstatic
if not PRODUCTION:
    STATIC_ROOT.mkdir(exist_ok=True)
# Uploads and generated PDFs are private: there is no MEDIA_URL route; files are served only through
# permission-checked views.
MEDIA_ROOT = Path(os.environ.get("WIR_MEDIA_ROOT", VAR_DIR / "media"))

USE_S3 = envbool("USE_S3", False)
if USE_S3:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("AWS_STORAGE_BUCKET_NAME", ""),
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": "/nonexistent-private-media/"},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
WIR_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# Form fields without files: the largest form (application with plan rows and 8,000-character texts) is ~0.2 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(2.5 * 1024 * 1024)
# Whole request bodies (one upload, with room for a too-large file to get the form's message): larger answer 413 before
# anything is read (wir_portal.middleware.HostileInputMiddleware).
WIR_MAX_REQUEST_BYTES = 2 * WIR_MAX_UPLOAD_BYTES + 1024 * 1024  # room for the form's own 'höchstens 10 MB'

# --- E-mail -------------------------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "WIR-Portal <wir-portal@rpda.hessen.de>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_URL = os.environ.get("EMAIL_URL", "")
if EMAIL_URL:
    _mail = urlparse(EMAIL_URL)
    _query = parse_qs(_mail.query)
    if _mail.scheme not in {"smtp", "smtps", "console", "file"}:
        raise ImproperlyConfigured("EMAIL_URL must start with smtp://, smtps://, console:// or file://.")
    if _mail.scheme == "console":
        EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    elif _mail.scheme == "file":
        EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
        EMAIL_FILE_PATH = _mail.path
    else:
        EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        EMAIL_HOST = _mail.hostname or "localhost"
        EMAIL_PORT = _mail.port or (465 if _mail.scheme == "smtps" else 25)
        EMAIL_HOST_USER = unquote(_mail.username or "")
        EMAIL_HOST_PASSWORD = unquote(_mail.password or "")
        EMAIL_USE_SSL = _mail.scheme == "smtps"
        EMAIL_USE_TLS = _query.get("tls", ["false"])[0].lower() in _TRUE
        EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 20)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"

# --- Cache --------------------------------------------------------------------------------------------------
# CACHE_URL=redis://host:6379/1 shares one cache between all web and worker processes (cached budget and report
# figures, the password-reset throttle). Empty: a LocMemCache per process (figures stay exact either way: their
# version lives in the database, see funding/figures_cache.py; the throttle then counts per process).
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL:
    if not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured("CACHE_URL must be a redis:// (or rediss://, unix://) URL.")
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL,
                          "KEY_PREFIX": "wir"}}
    # Sessions read from the shared cache, written through to the database (one query less on every request).
    # Only with a shared cache: with a per-process cache a logout in one worker would not end the session in another.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "wir"}}

# --- Celery -------------------------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", 300)
CELERY_TASK_SOFT_TIME_LIMIT = envint("CELERY_TASK_SOFT_TIME_LIMIT", 240)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"applications.notices.tasks.notice_render": {"queue": "pdf"}, "reports.tasks.*": {"queue": "pdf"},
                      "applications.pdf_jobs.pdf_render": {"queue": "pdf"}}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Programme settings -------------------------------------------------------------------------------------
# Four-eyes rule: above this amount, whoever recommended an application may not also approve it.
WIR_FOUR_EYES_THRESHOLD = envamount("WIR_FOUR_EYES_THRESHOLD", "0")
WIR_INVITATION_DAYS = envint("WIR_INVITATION_DAYS", 7)
# Notices: retries of rendering/sending with exponential backoff (base · 2^n seconds), then "failed" for staff.
WIR_NOTICE_MAX_RETRIES = envint("WIR_NOTICE_MAX_RETRIES", 6)
WIR_NOTICE_RETRY_BASE_SECONDS = envint("WIR_NOTICE_RETRY_BASE_SECONDS", 60)
WIR_REGISTRATION_CONFIRM_DAYS = envint("WIR_REGISTRATION_CONFIRM_DAYS", 3)  # lifetime of the e-mail confirmation link
# Revocation (applications/revocation/): the hearing period (§ 28 HVwVfG) and the account refunds are paid to
# (the Landeshauptkasse's account is not known to us: empty = the notice asks to use the account given by the cashier).
WIR_HEARING_DAYS = envint("WIR_HEARING_DAYS", 28)
WIR_REFUND_IBAN = os.environ.get("WIR_REFUND_IBAN", "")
WIR_REFUND_ACCOUNT_HOLDER = os.environ.get("WIR_REFUND_ACCOUNT_HOLDER", "Land Hessen")

# The benchmark's floor page (/bench/bare) is routed only when this is on; production refuses it.
WIR_BENCHMARK = envbool("WIR_BENCHMARK", False)
if PRODUCTION and WIR_BENCHMARK:
    raise ImproperlyConfigured("WIR_BENCHMARK must not be on when WIR_PRODUCTION is on.")

# Payments (applications/payments/): the paying account of the state treasury in the SEPA file (pain.001).
# No invented account in production: the export refuses until WIR_PAYER_IBAN is set. Development and demo use
# a documented example IBAN of the German SEPA test data (never a real account).
WIR_PAYER_NAME = os.environ.get("WIR_PAYER_NAME", "Land Hessen - Regierungspraesidium Darmstadt")
WIR_PAYER_IBAN = os.environ.get("WIR_PAYER_IBAN", "" if PRODUCTION else "DE02500105170137075030")
WIR_PAYER_BIC = os.environ.get("WIR_PAYER_BIC", "")
CELERY_BEAT_SCHEDULE = {
    "payments-tranches-fall-due": {"task": "applications.payments.tasks.payments_tranches_fall_due",
                                   "schedule": 60 * 60 * 6},
    "payments-spend-reminders": {"task": "applications.payments.tasks.payments_spend_reminders",
                                 "schedule": 60 * 60 * 24},
}

# --- Security -----------------------------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
# Behind the reverse proxy (compose: Caddy at a fixed address): only requests from these addresses may set
# X-Forwarded-Proto/-For (wir_portal.proxy). Empty: no proxy headers are interpreted except, in production, the
# historic X-Forwarded-Proto (the proxy must then be the only way to reach the web containers). The variable is read
# and checked once, above (client addresses for rate limits and lockout use the same list).
if WIR_TRUSTED_PROXIES:
    MIDDLEWARE.insert(0, "wir_portal.proxy.TrustedProxyMiddleware")
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when WIR_PRODUCTION is on.")

# --- Second factor (applications/accounts/mfa) ------------------------------------------------------------------
OTP_TOTP_ISSUER = "WIR-Portal"
OTP_WEBAUTHN_RP_NAME = "WIR-Portal"
OTP_WEBAUTHN_HELPER_CLASS = "applications.accounts.mfa.webauthn.PortalWebAuthnHelper"
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False  # a passkey is the second factor after the password
# The relying party is SITE_URL's host (production: https). In development the helper takes the request's own
# origin when it is localhost (browsers refuse passkeys on IP addresses: use http://localhost:8000 for them).
if PRODUCTION:  # always HTTPS: SITE_URL, else the allowed host names
    OTP_WEBAUTHN_ALLOWED_ORIGINS = [SITE_URL] if SITE_URL.startswith("https://") else [
        f"https://{host}" for host in ALLOWED_HOSTS if host not in ("*", "") and not host.startswith(".")]
else:
    OTP_WEBAUTHN_ALLOWED_ORIGINS = [SITE_URL] if SITE_URL.startswith(("https://", "http://localhost")) \
        else ["http://localhost:8000"]
OTP_WEBAUTHN_RP_ID = (urlparse(OTP_WEBAUTHN_ALLOWED_ORIGINS[0]).hostname if OTP_WEBAUTHN_ALLOWED_ORIGINS
                      else "localhost")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint logs every layout step at INFO; fontTools every subset operation.
    "loggers": {"axes": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

# The mail outbox (applications/notices/outbox.py): every minute, send the mails that are due again after a mail
# server outage, a lost task or a worker that died (`manage.py outbox_send` does the same by hand).
CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    "mail-outbox-flush": {"task": "applications.notices.tasks.mail_outbox_flush", "schedule": 60.0},
    # applications/revocation: Mahnungen of overdue refund claims (one per level, never twice)
    "revocation-claim-reminders": {"task": "applications.revocation.tasks.revocation_claim_reminders",
                                   "schedule": 60 * 60 * 24},
}

# Proof of use (applications/proof/): reminders relative to the due date in days (negative: before), each sent once
# per proof; the beat job also creates the proofs funded applications owe.
WIR_PROOF_REMINDER_DAYS = {"before": -28, "due": 0, "overdue_1": 14, "overdue_2": 42}
CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    "proof-reminders": {"task": "applications.proof.tasks.proof_reminders", "schedule": 60 * 60 * 24},
}
