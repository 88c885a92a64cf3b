# The two commands a newcomer needs: `make demo` and `make test`. Both build .venv from scratch
# (uv when present, else venv + pip) and need nothing but Python 3.10+.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
UV := $(shell command -v uv 2>/dev/null)
DEV_STAMP := $(VENV)/.dev-installed
BENCH_STAMP := $(VENV)/.bench-installed

MIN_VENV ?= .venv-min
MIN_PY := $(MIN_VENV)/bin/python
MIN_STAMP := $(MIN_VENV)/.min-installed
# uv resolves the lowest allowed versions; from PATH when present, else installed with pip.
ifdef UV
MIN_UV := $(UV)
else
MIN_UV := $(VENV)/bin/uv
endif

.PHONY: help install test test-fast test-min lint format demo record bench emulator clean

help:
	@echo "make demo     run the demo (offline against the bundled emulator unless NANOGPT_API_KEY is set)"
	@echo "make test     run every test (unit, emulator behaviour, cassette replays, notebooks)"
	@echo "make test-min run the unit tests with the lowest versions pyproject.toml allows"
	@echo "make lint     ruff + mypy on the package"
	@echo "make record   re-record cassettes (live if NANOGPT_API_KEY is set, else against the emulator)"
	@echo "make bench    run the benchmarks side by side with raw httpx and the peer integrations"
	@echo "make emulator run the NanoGPT emulator in the foreground"

$(DEV_STAMP): pyproject.toml
ifdef UV
	$(UV) venv --allow-existing --python $(PYTHON) $(VENV)
	$(UV) pip install --python $(PY) -e '.[all]' --group dev
else
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade 'pip>=25.1'
	$(PY) -m pip install --quiet -e '.[all]' --group dev
endif
	@touch $@

$(BENCH_STAMP): $(DEV_STAMP)
ifdef UV
	$(UV) pip install --python $(PY) --group bench
else
	$(PY) -m pip install --quiet --group bench
endif
	@touch $@

install: $(DEV_STAMP)

test: $(DEV_STAMP)
	$(PY) -m pytest tests -q
	@if ls notebooks/*.ipynb >/dev/null 2>&1; then $(PY) -m pytest --nbmake notebooks -q -p no:randomly; fi

test-fast: $(DEV_STAMP)
	$(PY) -m pytest tests/unit -q -x

# The unit tests again, in a venv of their own holding the lowest version pyproject.toml allows of
# every direct dependency (runtime, extras and dev group; uv --resolution lowest-direct). The
# check fails when one of them could only be installed above its declared minimum.
$(VENV)/bin/uv: | $(DEV_STAMP)
	$(PY) -m pip install --quiet 'uv>=0.5'

$(MIN_STAMP): pyproject.toml | $(MIN_UV)
	rm -rf $(MIN_VENV)
	$(MIN_UV) venv --quiet --python $(PYTHON) $(MIN_VENV)
	$(MIN_UV) pip install --quiet --python $(MIN_PY) --resolution lowest-direct -e '.[all]' --group dev
	@touch $@

test-min: $(MIN_STAMP)
	$(MIN_PY) .ci/check_min_versions.py
	$(MIN_PY) -m pytest tests/unit -q -p no:randomly

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check nanogpt_integrations tests benchmarks
	$(VENV)/bin/ruff format --check nanogpt_integrations
	$(VENV)/bin/mypy nanogpt_integrations

format: $(DEV_STAMP)
	$(VENV)/bin/ruff check --fix nanogpt_integrations tests benchmarks
	$(VENV)/bin/ruff format nanogpt_integrations tests benchmarks

demo: $(DEV_STAMP)
	$(PY) -m nanogpt_integrations.demo

record: $(DEV_STAMP)
	$(PY) -m pytest tests/integration -q --record-mode=rewrite

bench: $(BENCH_STAMP)
	$(PY) -m benchmarks

emulator: $(DEV_STAMP)
	$(PY) -m nanogpt_integrations.testing

clean:
	rm -rf $(VENV) $(MIN_VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
