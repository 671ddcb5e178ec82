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
	$(PYTHON) -m pytest tests --ignore=tests/e2e --ignore=tests/integration/test_krew.py

e2e: dev
	$(PYTHON) -m pytest tests/e2e

demo: install
	kubectl-sidecar demo

# Benchmark against kubectl (docs/performance.md): about 90 minutes, most of it kubectl at 5,000 pods.
# matplotlib draws the plot only; it is not a dependency of the plugin or of its tests.
BENCH_RESULTS ?= bench/results
bench:
	$(PIP) install -q matplotlib
	$(PYTHON) bench/run.py --pods 1 --repeat 10 --out $(BENCH_RESULTS)/pods-1.json
	$(PYTHON) bench/run.py --pods 200 --repeat 10 --out $(BENCH_RESULTS)/pods-200.json
	$(PYTHON) bench/run.py --pods 1000 --repeat 5 --out $(BENCH_RESULTS)/pods-1000.json
	$(PYTHON) bench/run.py --pods 5000 --repeat 3 --out $(BENCH_RESULTS)/pods-5000.json
	$(PYTHON) bench/plot.py $(BENCH_RESULTS)/pods-1.json $(BENCH_RESULTS)/pods-200.json \
		$(BENCH_RESULTS)/pods-1000.json $(BENCH_RESULTS)/pods-5000.json --out docs/performance.png

krew:
	$(PYTHON) scripts/build_krew.py

clean:
	rm -rf build dist *.egg-info .pytest_cache
