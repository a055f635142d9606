# isotrack: two commands for a fresh machine.
#
#   make test   set up .venv, make sure Debian's chromium is there, run the whole test suite
#   make run    set up .venv, migrate, load the demo clinic and serve http://127.0.0.1:8000
#               (it keeps the terminal until Ctrl+C)
#
# Helpers: make reset-demo, make lint, make format, make ci, make clean.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
VENV_PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
HOST := 127.0.0.1
PORT := 8000

# The first interpreter that is Python 3.12 or newer. The machine's default python3 may be
# 3.11, which would silently install an older Django: it is tried last.
PYTHON_CANDIDATES := python3.13 python3.12 \
	$(wildcard $(shell pyenv root 2>/dev/null)/versions/3.13*/bin/python) \
	$(wildcard $(shell pyenv root 2>/dev/null)/versions/3.12*/bin/python) \
	python3
PYTHON ?= $(shell for p in $(PYTHON_CANDIDATES); do \
	if "$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
		command -v "$$p"; break; fi; done)

.PHONY: help run reset-demo test lint format ci clean venv chromium

help:
	@echo "make test        set up and run the whole test suite (browser tests included)"
	@echo "make run         set up, load the demo clinic and serve http://$(HOST):$(PORT) (Ctrl+C stops it)"
	@echo "make reset-demo  delete the demo database (db.sqlite3) and load the demo clinic afresh"
	@echo "make lint        ruff check and format check"
	@echo "make format      ruff format and fix imports"
	@echo "make ci          what CI runs: SQLite and PostgreSQL suites, lint, migrations check"
	@echo "make clean       remove .venv, collected static files and test artifacts"

venv: $(STAMP)

# Recreated when missing, when built with a Python older than 3.12, or when pyproject changes.
$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then \
		echo "error: Python 3.12 or newer was not found (tried: $(PYTHON_CANDIDATES))." >&2; \
		echo "Install Python 3.13 (e.g. 'pyenv install 3.13') or run 'make PYTHON=/path/to/python3.13 ...'." >&2; \
		exit 1; \
	fi
	@if [ -x $(VENV_PY) ] && ! $(VENV_PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
		echo "Removing $(VENV): it was built with $$($(VENV_PY) --version)."; rm -rf $(VENV); \
	fi
	@if [ ! -x $(VENV_PY) ]; then \
		echo "Creating $(VENV) with $(PYTHON) ($$($(PYTHON) --version))"; \
		$(PYTHON) -m venv $(VENV); \
	fi
	$(VENV_PY) -m pip install --quiet --upgrade pip
	$(VENV_PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: export DJANGO_DEBUG = 1
run: $(STAMP)
	$(VENV_PY) manage.py migrate --noinput
	$(VENV_PY) manage.py collectstatic --noinput --verbosity 0
	$(VENV_PY) manage.py seed_demo
	@echo
	@echo "isotrack is starting on http://$(HOST):$(PORT)  (Ctrl+C stops it)"
	@echo
	$(VENV_PY) manage.py runserver $(HOST):$(PORT)

# The demo clinic's dates are relative to the day it was loaded: this starts it afresh, today.
# Only the development database (db.sqlite3, no DATABASE_URL) is ever deleted.
reset-demo: export DJANGO_DEBUG = 1
reset-demo: $(STAMP)
	@if [ -n "$$DATABASE_URL" ]; then \
		echo "error: DATABASE_URL is set; reset-demo only deletes the demo database db.sqlite3." >&2; \
		exit 1; \
	fi
	rm -f db.sqlite3
	$(VENV_PY) manage.py migrate --noinput
	$(VENV_PY) manage.py seed_demo

chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing Debian's chromium for the browser tests"; \
			apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
		else \
			echo "error: $(CHROMIUM) is missing and the browser tests need it." >&2; \
			echo "Install it with: sudo apt-get install -y chromium" >&2; \
			exit 1; \
		fi; \
	fi

test: $(STAMP) chromium
	$(VENV_PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix --select I .
	$(VENV)/bin/ruff format .

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) staticfiles test-artifacts .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
