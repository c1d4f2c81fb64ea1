# WIR-Portal — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_WORKERS ?= 2

.PHONY: run test venv migrate seed lint worker benchmark clean

$(STAMP): requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	touch $(STAMP)

venv: $(STAMP)

## make run: install, migrate, seed demo data, serve on http://127.0.0.1:8000 (SQLite, eager tasks, mail to var/mail/)
run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed --demo
	@echo "WIR-Portal: http://127.0.0.1:8000/accounts/login/  (Verwaltung: http://127.0.0.1:8000/admin/)"
	$(PY) manage.py runserver 127.0.0.1:8000

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
