# wuhai-gis: `make demo` runs the system on SpatiaLite with the Wuhai reference data; `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
PYTEST_ARGS ?=

.PHONY: demo test init system-deps serve lint fix bench clean

demo: init
	$(BIN)/wuhai-gis db upgrade
	$(BIN)/wuhai-gis load-reference
	$(BIN)/wuhai-gis serve --port $(PORT)

test: init
	$(BIN)/python -m pytest $(PYTEST_ARGS)

init: system-deps $(VENV)/.installed

# Debian packages the project needs at run time (installed when missing and we are root).
system-deps:
	@bash scripts/system-deps.sh

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet -e . --group dev
	touch $@

serve: init
	$(BIN)/wuhai-gis serve --port $(PORT)

lint: init
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

fix: init
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

# wrk drives the OGC API load benchmark (a bounded Python client stands in without it).
bench: init
	@EXTRA_DEBIAN_PACKAGES=wrk bash scripts/system-deps.sh
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance .pytest_cache
