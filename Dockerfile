# WIR-Portal production image.
#
# Build:  docker build -t wir-portal .
# Run:    see docker-compose.yml (web, worker and beat all use this image).
#
# Python dependencies come only from requirements.lock (pinned; with hashes,
# pip checks them automatically). Static files are collected at build time
# into /app/staticfiles and served by WhiteNoise. Uploads and generated PDFs
# live under /app/var/media, which must be a volume.

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=wir_portal.settings

# System libraries WeasyPrint needs (Pango, HarfBuzz) and a font with full
# German character coverage for the generated PDF notices.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz-subset0 \
        fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, so this layer is cached while only code changes.
COPY requirements.lock /app/requirements.lock
RUN pip install --no-cache-dir -r /app/requirements.lock

COPY . /app

# collectstatic runs with the production storage (hashed, compressed files
# and manifest). WIR_PRODUCTION requires a secret key and ALLOWED_HOSTS; the
# throw-away values below exist only for this build step and are not kept in
# the image.
RUN WIR_PRODUCTION=true \
    DJANGO_SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
    ALLOWED_HOSTS=localhost \
    WIR_VAR_DIR=/tmp/build-var \
    python manage.py collectstatic --noinput \
    && rm -rf /tmp/build-var

# Unprivileged user; only var/ (media, runtime files) is writable.
RUN groupadd --system --gid 10001 wir \
    && useradd --system --uid 10001 --gid wir --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin wir \
    && mkdir -p /app/var/media \
    && chown -R wir:wir /app/var

USER wir

EXPOSE 8000

CMD ["gunicorn", "wir_portal.wsgi:application", \
     "--bind", "0.0.0.0:8000", \
     "--workers", "3", \
     "--timeout", "120", \
     "--worker-tmp-dir", "/dev/shm", \
     "--access-logfile", "-"]
