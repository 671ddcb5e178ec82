# One command runs every gate: `make test`.
# Outside a virtualenv, make works in its own, .venv (made on first use): Debian's and Ubuntu's python3
# refuse `pip install` outside one (PEP 668, "externally-managed-environment"). Inside one (VIRTUAL_ENV
# set), or with PYTHON=... given, that Python is used as it is.
VENV ?= .venv
ifdef VIRTUAL_ENV
PYTHON ?= python
else
PYTHON ?= $(VENV)/bin/python
endif
PIP ?= $(PYTHON) -m pip

.PHONY: help venv install dev test lint layering unit integration e2e demo bench bench-round1 krew clean

LINTED = kubectl_sidecar tests bench scripts

help:
	@echo "make install      install the plugin (pip install . into the active virtualenv, else .venv)"
	@echo "make test         install test dependencies, then the gates (lint, layering), then every tier"
	@echo "make lint         ruff check, ruff format --check, mypy on the package"
	@echo "make layering     the import-graph rules of the package (tests/unit/test_layering.py)"
	@echo "make unit         tests/unit: pure (no sockets, no subprocesses), under a minute"
	@echo "make integration  tests/integration: API stand-in, subprocesses, the real kubectl, krew"
	@echo "make e2e          tests/e2e: against a real kube-apiserver built from Go modules"
	@echo "make bench        benchmark against kubectl (bench/run.py)"
	@echo "make krew         build the krew archives and manifest under dist/"

# Makes .venv when PYTHON is its interpreter and it is missing (python3 -m venv needs Debian's python3-venv).
venv:
	@if [ "$(PYTHON)" = "$(VENV)/bin/python" ] && [ ! -x "$(VENV)/bin/python" ]; then \
		echo "python3 -m venv $(VENV)"; python3 -m venv "$(VENV)"; fi

install: venv
	$(PIP) install .

dev: venv
	$(PIP) install -q -e '.[test]'

# Gates before tests: a lint or layering failure stops the run before the slow tiers start.
test: dev lint layering
	$(PYTHON) -m pytest tests/unit tests/integration tests/e2e

lint: dev
	$(PYTHON) -m ruff check $(LINTED)
	$(PYTHON) -m ruff format --check $(LINTED)
	$(PYTHON) -m mypy

layering: dev
	$(PYTHON) -m pytest -q tests/unit/test_layering.py

unit: dev
	$(PYTHON) -m pytest tests/unit

integration: dev
	$(PYTHON) -m pytest tests/integration

e2e: dev
	$(PYTHON) -m pytest tests/e2e

demo: install
	$(PYTHON) -m kubectl_sidecar demo

# Benchmark against kubectl (docs/performance.md): about 90 minutes, most of it kubectl at 5,000 pods.
# matplotlib draws the plot only; it is not a dependency of the plugin or of its tests.
BENCH_RESULTS ?= bench/results
bench: dev
	$(PIP) install -q matplotlib
	$(PYTHON) bench/suite.py --out $(BENCH_RESULTS)/round3.json --plot docs/performance.png   # issue 16, about 15 minutes

bench-round1: dev
	$(PIP) install -q matplotlib
	$(PYTHON) bench/run.py --pods 1 --repeat 10 --out $(BENCH_RESULTS)/pods-1.json
	$(PYTHON) bench/run.py --pods 200 --repeat 10 --out $(BENCH_RESULTS)/pods-200.json
	$(PYTHON) bench/run.py --pods 1000 --repeat 5 --out $(BENCH_RESULTS)/pods-1000.json
	$(PYTHON) bench/run.py --pods 5000 --repeat 3 --out $(BENCH_RESULTS)/pods-5000.json

krew: dev
	$(PYTHON) scripts/build_krew.py

clean:
	rm -rf build dist *.egg-info .pytest_cache
