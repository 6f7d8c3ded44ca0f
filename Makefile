# nekosite — the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000
# The site's links (SITE_URL's default) and gunicorn's bind follow these: `make run PORT=8600`.
export HOST PORT

.PHONY: install install-dev run dev test test-all lint format superuser bench clean vendor-tus

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when a requirements file changed; `make run` needs only the runtime set.
$(RUN_STAMP): requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(RUN_STAMP)

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(DEV_STAMP) $(RUN_STAMP)

install: $(RUN_STAMP)

install-dev: $(DEV_STAMP)

run: $(RUN_STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/gunicorn -c deploy/gunicorn.conf.py nekosite.wsgi:application

dev: $(RUN_STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	DEBUG=true $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(DEV_STAMP)
	$(BIN)/python -m pytest -m "not integration" $(PYTEST_ARGS)

test-all: $(DEV_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# mypy runs without its cache: reusing one, the django plugin misses changed setting types.
lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --no-incremental

format: $(DEV_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Benchmarks (bench/README.md): ~15 min; needs PostgreSQL, Redis, nginx and wrk on this machine.
bench: $(RUN_STAMP)
	$(BIN)/python bench/run_all.py

# The dashboard's tus-js-client (uploads/static/vendor/tus-js-client/README.md): the browser build
# of the version tests/js/package-lock.json pins.
TUS_VENDOR := uploads/static/vendor/tus-js-client
vendor-tus:
	cd tests/js && npm ci
	cp tests/js/node_modules/tus-js-client/dist/tus.min.js tests/js/node_modules/tus-js-client/dist/tus.min.js.map tests/js/node_modules/tus-js-client/LICENSE $(TUS_VENDOR)/

superuser: $(RUN_STAMP)
	$(BIN)/python manage.py createsuperuser

clean:
	rm -rf $(VENV) var
