# WIR-Portal — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_WORKERS ?= 2
# make run serves on http://$(HOST):$(PORT); PORT=8100 make run picks another port. Exported, so the settings
# derive SITE_URL (the base of links in e-mails) from the port actually served unless SITE_URL is set.
HOST ?= 127.0.0.1
PORT ?= 8000
export PORT

.PHONY: run test venv migrate seed lint worker benchmark clean

$(STAMP): requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	touch $(STAMP)

venv: $(STAMP)

## make run: install, migrate, seed demo data, serve on http://127.0.0.1:$(PORT) (default 8000; SQLite, eager tasks,
## mail to var/mail/)
run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed --demo
	@echo "WIR-Portal: http://$(HOST):$(PORT)/accounts/login/  (Verwaltung: http://$(HOST):$(PORT)/admin/)"
	$(PY) manage.py runserver $(HOST):$(PORT)

## make test: the whole test suite (SQLite by default; set DATABASE_URL / CELERY_BROKER_URL for the real services)
test: $(STAMP)
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	DJANGO_ALLOW_ASYNC_UNSAFE=true WIR_FAST_PASSWORD_HASHER=true $(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

worker: $(STAMP)
	$(VENV)/bin/celery -A wir_portal worker -Q default,pdf -l info

benchmark: $(STAMP)
	$(PY) manage.py benchmark

clean:
	rm -rf $(VENV) var staticfiles
