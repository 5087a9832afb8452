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

demo: $(STAMP)
	@for s in baseline dead_group well_run; do \
	  $(BIN)/groupsim run scenarios/$$s.yaml --reps 5 --out results/demo/$$s || exit $$?; \
	done
	@echo "demo results: $(CURDIR)/results/demo (overview.png in each folder)"

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/throughput.py
	$(BIN)/python benchmarks/crn_width.py

clean:
	rm -rf $(VENV) results .pytest_cache
