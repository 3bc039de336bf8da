# Rare Earth Quota Portal — the two README commands and friends.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/quota_portal
TEST_BROKER_URL ?= redis://127.0.0.1:6379/0

.PHONY: run test install lint bench messages e2e-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q ".[dev]"
	touch $(STAMP)

install: $(STAMP)

messages: install
	@command -v msgfmt >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -q gettext >/dev/null; } || { echo "Install gettext (apt-get install gettext) to compile translations."; exit 1; }
	$(BIN)/python manage.py compilemessages -v0 --ignore=.venv

## make run: embedded mode — SQLite, Celery eager, no services. Serves http://127.0.0.1:8000
run: install messages
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py seed_demo
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:8000

## make test: the whole suite against real PostgreSQL and Redis on localhost (started/installed if needed)
test: install messages
	bash scripts/ensure_services.sh
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) $(BIN)/ruff check .
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) $(BIN)/pytest --create-db -q $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

bench: install
	bash scripts/ensure_services.sh
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/quota_bench} $(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
