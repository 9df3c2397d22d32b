# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test install lint format migrations-check bench-scoring messages translations translations-check

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
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install messages
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrations-check: install
	$(BIN)/python manage.py makemigrations --check --dry-run
