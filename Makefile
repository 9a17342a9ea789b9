# Two commands for a newcomer:  `make demo`  and  `make test`.
# Everything runs in a local virtual environment (.venv) created with Python 3.11+.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.DEFAULT_GOAL := help
.PHONY: help demo serve test lint format type docs messages clean

help:
	@echo "make demo      install, migrate, seed the demo data and serve it on http://$(HOST):$(PORT)/"
	@echo "               another port: make demo PORT=8080; another address: HOST=0.0.0.0 with"
	@echo "               ALLOWED_HOSTS=<the name or IP clients use> (see docs/example.md)"
	@echo "make test      run the whole test suite on SQLite and on PostgreSQL (when available)"
	@echo "make lint      ruff check and ruff format --check"
	@echo "make format    ruff format and ruff check --fix"
	@echo "make type      mypy on src/"
	@echo "make docs      build the documentation into docs/_build/html (warnings are errors)"
	@echo "make messages  regenerate and compile the Portuguese translations"
	@echo "make clean     remove the virtual environment, the demo database and build output"

# The virtual environment, reinstalled when pyproject.toml changes. The editable install keeps
# the source tree live; the stamp files record which extras are installed.
$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-example: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[example]"
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@ $(VENV)/.installed-example

demo: $(VENV)/.installed-example
	cd example_project && DJANGO_DEBUG=1 ../$(BIN)/python manage.py migrate --noinput
	cd example_project && DJANGO_DEBUG=1 ../$(BIN)/python manage.py seed_demo
	@echo ""
	@echo "  Serving the demo on http://$(HOST):$(PORT)/  (Ctrl-C to stop; the page there links everything)"
	@echo "    Storefront http://$(HOST):$(PORT)/shop/   (shop as buyer, or sign up)"
	@echo "    Desk       http://$(HOST):$(PORT)/desk/   (log in as seller)"
	@echo "    API        http://$(HOST):$(PORT)/api/v1/products/"
	@echo "    Health     http://$(HOST):$(PORT)/api/v1/health/"
	@echo "    API docs   http://$(HOST):$(PORT)/api/docs/"
	@echo "    Admin      http://$(HOST):$(PORT)/admin/   (log in as admin / demo-admin-pass)"
	@echo "  Logins: admin / demo-admin-pass (staff), seller / demo-seller-pass, buyer / demo-buyer-pass"
	@echo "    'seller' owns the demo store; the dummy gateway's webhook secret is printed above."
	@echo "  Another port: make demo PORT=8080 (now $(PORT)); another address: HOST=... (now $(HOST))"
	@echo ""
	cd example_project && DJANGO_DEBUG=1 exec ../$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.installed-dev
	$(BIN)/python scripts/run_tests.py $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests example_project scripts docs bench
	$(BIN)/ruff format --check src tests example_project scripts docs bench

format: $(VENV)/.installed-dev
	$(BIN)/ruff format src tests example_project scripts docs bench
	$(BIN)/ruff check --fix src tests example_project scripts docs bench

type: $(VENV)/.installed-dev
	$(BIN)/mypy

docs: $(VENV)/.installed-dev
	$(BIN)/sphinx-build -W -b html docs docs/_build/html

# Needs GNU gettext (apt-get install gettext). Run after adding or changing translatable strings,
# then translate the new (empty) msgstr entries in django.po and run it again to compile them.
messages: $(VENV)/.installed-dev
	cd src/ecommerce_kit && PYTHONPATH=$(CURDIR)/src:$(CURDIR) DJANGO_SETTINGS_MODULE=tests.settings \
		$(CURDIR)/$(BIN)/django-admin makemessages -l pt --add-location=file --no-obsolete
	cd src/ecommerce_kit && PYTHONPATH=$(CURDIR)/src:$(CURDIR) DJANGO_SETTINGS_MODULE=tests.settings \
		$(CURDIR)/$(BIN)/django-admin compilemessages -l pt
	# The example site's apps with their own catalogue (example_project/<app>/locale).
	set -e; for locale in $(wildcard example_project/*/locale); do \
		cd $(CURDIR)/$$(dirname $$locale) && \
		PYTHONPATH=$(CURDIR)/src:$(CURDIR)/example_project DJANGO_SETTINGS_MODULE=config.settings \
		DJANGO_DEBUG=1 $(CURDIR)/$(BIN)/django-admin makemessages -l pt --add-location=file \
		--no-obsolete && \
		PYTHONPATH=$(CURDIR)/src:$(CURDIR)/example_project DJANGO_SETTINGS_MODULE=config.settings \
		DJANGO_DEBUG=1 $(CURDIR)/$(BIN)/django-admin compilemessages -l pt; \
	done

clean:
	rm -rf $(VENV) build dist src/*.egg-info docs/_build example_project/db.sqlite3* example_project/staticfiles
