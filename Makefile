# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test install lint format migrations-check bench-scoring backup restore restore-drill retention

# Reinstall only when a requirements file changes.
$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo ""
	@echo "Alliance is starting at http://127.0.0.1:$(PORT)/  (Ctrl+C stops it)"
	@echo ""
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install
	$(BIN)/python -m pytest

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
