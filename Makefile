# One command runs every gate: `make test`.
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip

.PHONY: help install dev test unit e2e lint demo bench krew clean

help:
	@echo "make install  install the plugin (pip install .)"
	@echo "make test     install test dependencies, then run the whole suite (unit, kubectl, krew, e2e)"
	@echo "make unit     the fast tier only (no Go builds: no krew, no kube-apiserver)"
	@echo "make e2e      end-to-end tests against a real kube-apiserver built from Go modules"
	@echo "make bench    benchmark against kubectl (bench/run.py)"
	@echo "make krew     build the krew archives and manifest under dist/"

install:
	$(PIP) install .

dev:
	$(PIP) install -q -e '.[test]'

test: dev
	$(PYTHON) -m pytest tests

unit: dev
	$(PYTHON) -m pytest tests --ignore=tests/e2e --ignore=tests/test_krew.py

e2e: dev
	$(PYTHON) -m pytest tests/e2e

demo: install
	kubectl-sidecar demo

krew:
	$(PYTHON) scripts/build_krew.py

clean:
	rm -rf build dist *.egg-info .pytest_cache
