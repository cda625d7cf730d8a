# Everything runs from a project-local virtual environment, made on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: install test lint style types run local golden check clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# The whole suite: formatting, lint, strict types on the runtime, then every test.
test: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy runtime
	$(BIN)/pytest

style: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

types: $(STAMP)
	$(BIN)/mypy runtime

# Rewrite tests/golden/<sample>.yaml from each sample (review the diff before committing).
SAMPLE_DIRS := $(patsubst %/app.py,%,$(wildcard samples/*/app.py))
GOLDEN_RUNTIME := python3.12

golden: $(STAMP)
	set -e; for dir in $(SAMPLE_DIRS); do \
	  name=$$(basename $$dir); \
	  (cd $$dir && $(CURDIR)/$(BIN)/wsgen template --runtime $(GOLDEN_RUNTIME)) > tests/golden/$$name.yaml.new; \
	  mv tests/golden/$$name.yaml.new tests/golden/$$name.yaml; \
	done

# The echo sample on the local API Gateway emulator; talk to it with
# .venv/bin/python -m websockets ws://127.0.0.1:8000/local
local: $(STAMP)
	$(BIN)/wsgen local --app-dir samples/echo

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
