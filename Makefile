# Quick start: `make demo` and `make test` each set up .venv from scratch when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# the strategy review of experiments/strategy_review.yaml: four messaging plans, paired runs
demo: $(STAMP)
	$(BIN)/groupsim sweep experiments/strategy_review.yaml --out results/demo
	@echo "open the report: $(CURDIR)/results/demo/report.html"

# one test process per core (pytest-xdist): the statistical tests dominate the time
test: $(STAMP)
	$(BIN)/python -m pytest -q -n auto

bench: $(STAMP)
	$(BIN)/python benchmarks/throughput.py
	$(BIN)/python benchmarks/crn_width.py
	$(BIN)/python benchmarks/sweep_throughput.py

clean:
	rm -rf $(VENV) results .pytest_cache
