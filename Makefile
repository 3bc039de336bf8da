# Rare Earth Quota Portal — the two README commands and friends.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/quota_portal
TEST_BROKER_URL ?= redis://127.0.0.1:6379/0
# pytest-xdist: one test process per core (each with its own test database, test_<name>_gw0, _gw1, …); work
# stealing evens out the long tests (page walks, fuzzing, browser journeys, replica). PYTEST_WORKERS=0: one process.
PYTEST_WORKERS ?= auto
XDIST := $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist worksteal)

.PHONY: run test install lint bench messages e2e-deps i18n clean backup restore

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q ".[dev]"
	touch $(STAMP)

install: $(STAMP)

messages: install
	@command -v msgfmt >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -q gettext >/dev/null; } || { echo "Install gettext (apt-get install gettext) to compile translations."; exit 1; }
	if ls locale/*/LC_MESSAGES/*.po >/dev/null 2>&1; then $(BIN)/python manage.py compilemessages -v0 --ignore=.venv; fi

## make run: embedded mode — SQLite, Celery eager, no services. Serves http://127.0.0.1:8000
run: install messages
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py seed_demo
	DJANGO_DEBUG=1 OTP_REQUIRED=0 $(BIN)/python manage.py runserver 127.0.0.1:8000

## make test: the whole suite against real PostgreSQL and Redis on localhost (started/installed if needed)
test: install messages e2e-deps
	bash scripts/ensure_services.sh
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) $(BIN)/ruff check .
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) $(BIN)/mypy .
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) $(BIN)/pytest --create-db -q $(XDIST) $(PYTEST_ARGS)
	# the same page walk and browser journeys on the embedded SQLite database of `make run` (marker "sqlite")
	DATABASE_URL=sqlite:///$(CURDIR)/.test-sqlite.sqlite3 CELERY_BROKER_URL=memory:// CELERY_TASK_ALWAYS_EAGER=1 $(BIN)/pytest --create-db -q -m sqlite $(XDIST) $(PYTEST_ARGS)

## e2e-deps: Debian's Chromium and CJK fonts for the Playwright browser tests (never a downloaded browser)
e2e-deps:
	@if [ ! -x /usr/bin/chromium ] || ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing chromium and fonts-noto-cjk with apt-get…"; \
	    apt-get install -y -q chromium fonts-noto-cjk >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q chromium fonts-noto-cjk >/dev/null; }; \
	  else echo "Please install chromium and fonts-noto-cjk (sudo apt-get install chromium fonts-noto-cjk) for the browser tests." >&2; exit 1; fi; \
	fi

## i18n: refresh the zh_Hans catalogue from the code (then translate the new msgids and run make messages)
i18n: install
	$(BIN)/python manage.py makemessages -l zh_Hans --ignore=.venv --ignore=staticfiles --ignore=tests --ignore=media --no-obsolete
	@msgfmt --statistics -o /dev/null locale/zh_Hans/LC_MESSAGES/django.po

## lint: ruff (with PLC0415: imports at module top) and mypy (django-stubs, djangorestframework-stubs; see pyproject.toml)
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy .

bench: install
	bash scripts/ensure_services.sh
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/quota_bench} $(BIN)/python bench/run.py

## make backup: seal the audit chain, pg_dump (custom format) + manifest into ./backups (DATABASE_URL=postgres://…)
backup: install
	$(BIN)/python manage.py backup --out $${BACKUP_DIR:-backups}

## make restore FILE=backups/….dump [DB=new_name]: into a NEW database, then counts, attachments and verify_audit
restore: install
	@test -n "$(FILE)" || { echo "usage: make restore FILE=backups/<name>.dump [DB=<new database name>]"; exit 2; }
	$(BIN)/python manage.py restore "$(FILE)" $(if $(DB),--database-name "$(DB)")

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles var
