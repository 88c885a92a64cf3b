# The two commands a newcomer needs: `make demo` and `make test`. Both build a venv from scratch
# (uv when present, else venv + pip) and need nothing but Python 3.10+: `make test` the developer
# toolchain in .venv, `make demo` only the runtime dependencies in .venv-demo.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
UV := $(shell command -v uv 2>/dev/null)
DEV_STAMP := $(VENV)/.dev-installed
BENCH_STAMP := $(VENV)/.bench-installed
# `make demo` gets its own venv with the runtime dependencies only (no test or lint toolchain).
DEMO_VENV ?= .venv-demo
DEMO_PY := $(DEMO_VENV)/bin/python
DEMO_STAMP := $(DEMO_VENV)/.demo-installed
ARGS ?=
# `make dist` / `make release-check`: build and twine in their own venv; the wheel is tried in a fresh one.
RELEASE_VENV ?= .venv-release
RELEASE_PY := $(RELEASE_VENV)/bin/python
RELEASE_STAMP := $(RELEASE_VENV)/.release-installed
WHEEL_VENV ?= .venv-wheel

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
.PHONY: dist release-check

help:
	@echo "make demo     run the demo (offline against the bundled emulator unless NANOGPT_API_KEY is set)"
	@echo "make test     run every test (unit, emulator behaviour, cassette replays, notebooks)"
	@echo "make test-min run the unit tests with the lowest versions pyproject.toml allows"
	@echo "make lint     ruff + mypy on the package"
	@echo "make record   re-record cassettes (live if NANOGPT_API_KEY is set, else against the emulator)"
	@echo "make bench    run the benchmarks side by side with raw httpx and the peer integrations"
	@echo "make emulator run the NanoGPT emulator in the foreground"
	@echo "make dist     build the sdist and the wheel into dist/"
	@echo "make release-check  build, check metadata and contents, run the README in a fresh venv with the wheel"

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

$(DEMO_STAMP): pyproject.toml
ifdef UV
	$(UV) venv --allow-existing --python $(PYTHON) $(DEMO_VENV)
	$(UV) pip install --python $(DEMO_PY) -e '.[langchain,llama-index]'
else
	$(PYTHON) -m venv $(DEMO_VENV)
	$(DEMO_PY) -m pip install --quiet -e '.[langchain,llama-index]'
endif
	@touch $@

demo: $(DEMO_STAMP)
	$(DEMO_PY) -m nanogpt_integrations.demo $(ARGS)

record: $(DEV_STAMP)
	$(PY) -m pytest tests/integration -q --record-mode=rewrite

bench: $(BENCH_STAMP)
	$(PY) -m benchmarks

emulator: $(DEV_STAMP)
	$(PY) -m nanogpt_integrations.testing

$(RELEASE_STAMP): pyproject.toml
ifdef UV
	$(UV) venv --allow-existing --python $(PYTHON) $(RELEASE_VENV)
	$(UV) pip install --python $(RELEASE_PY) --group release
else
	$(PYTHON) -m venv $(RELEASE_VENV)
	$(RELEASE_PY) -m pip install --quiet --upgrade 'pip>=25.1'
	$(RELEASE_PY) -m pip install --quiet --group release
endif
	@touch $@

dist: $(RELEASE_STAMP)
	rm -rf dist
	$(RELEASE_PY) -m build --outdir dist .

# What a user gets: metadata that renders, archives holding the package and nothing else, and a wheel that
# installs with its runtime dependencies alone and runs the README's offline recipe and snippets.
release-check: dist
	$(RELEASE_PY) -m twine check --strict dist/*
	$(RELEASE_PY) tests/check_dist.py dist
	rm -rf $(WHEEL_VENV)
	$(PYTHON) -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/python -m pip install --quiet "$$(ls dist/*.whl)[langchain,llama-index]"
	$(WHEEL_VENV)/bin/python tests/readme_runner.py README.md

clean:
	rm -rf $(VENV) $(MIN_VENV) $(DEMO_VENV) $(RELEASE_VENV) $(WHEEL_VENV) dist .pytest_cache .mypy_cache .ruff_cache .hypothesis
