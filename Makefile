# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# The demo signs in with a password alone (every page says so); never in production.
ALLIANCE_REQUIRE_2FA ?= false
STAMP := $(VENV)/.installed

.PHONY: run test install lint format migrations-check bench-scoring backup restore restore-drill retention multiserver fault-drill messages translations translations-check

# Reinstall only when a requirements file changes.
$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

# Compile the .po translation files into the .mo files Django reads (needs GNU gettext's
# msgfmt). The .mo files are build output, not committed.
messages: install
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0

# Collect new and changed strings into locale/*/LC_MESSAGES/*.po (see docs/translations.md).
translations: install
	$(BIN)/python manage.py makemessages --all --no-obsolete --ignore='tests/*' --ignore='bench/*' --ignore='staticfiles/*'
	$(BIN)/python manage.py makemessages --all --no-obsolete -d djangojs --ignore='tests/*' --ignore='bench/*' --ignore='staticfiles/*'

# Fails on template text outside translate tags and on untranslated or fuzzy entries.
translations-check: install
	$(BIN)/python -m alliance_site.translations_check

run: install messages
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo ""
	@echo "Alliance is starting at http://127.0.0.1:$(PORT)/  (Ctrl+C stops it)"
	@echo ""
	ALLIANCE_REQUIRE_2FA=$(ALLIANCE_REQUIRE_2FA) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# Two processes by default (pytest-xdist; each has its own test database): the suite
# took 13.8 minutes in one on PostgreSQL. PYTEST_WORKERS=1 runs it in one.
PYTEST_WORKERS ?= 2
test: install messages
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrations-check: install
	$(BIN)/python manage.py makemigrations --check --dry-run

# Operations (PostgreSQL; see the README's "Operations"). ALLIANCE_BACKUP_KEY must be set.
backup: install
	$(BIN)/python manage.py backup

# make restore INTO=<new empty database> [FILE=<backup file>; default: the newest]
restore: install
	@test -n "$(INTO)" || { echo "usage: make restore INTO=<empty database> [FILE=<backup>]"; exit 2; }
	$(BIN)/python manage.py restore $(if $(FILE),$(FILE),--latest) --into $(INTO)

restore-drill: install
	$(BIN)/python manage.py restore_drill

retention: install
	$(BIN)/python manage.py retention

# Several servers on this machine (PostgreSQL and Redis must be running): two gunicorn
# app servers, a Celery worker and beat, a round-robin proxy; checks through the proxy.
multiserver: install
	$(BIN)/python bench/multiserver.py

# Submissions under load while a worker is killed and the database refuses connections.
fault-drill: install
	$(BIN)/python bench/fault_drill.py
