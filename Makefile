# Everything runs from a project-local virtual environment, made on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed

.PHONY: install test lint style types run local golden getatts check clean sam checkov bench pythons

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# The whole suite: formatting, lint, strict types, then every test.
# The sam venv is best effort here: without it the `sam build` test skips and says why.
# checkov is not: the security scan of the golden templates is part of every run.
test: $(STAMP) $(BENCH_STAMP)
	$(MAKE) --no-print-directory checkov
	-$(MAKE) --no-print-directory sam
	$(MAKE) --no-print-directory lint types
	$(BIN)/pytest
	$(MAKE) --no-print-directory pythons

# The tests on Lambda's other Python runtimes this machine has (pyenv's, uv's or on PATH),
# each in its own .venv-pythonX.Y: the in-memory tests on each, everything but the external
# tools on the newest (tests/support/pythons.py).
pythons: $(STAMP)
	$(BIN)/python -m tests.support.pythons

# The fast loop: lint, types, and the in-memory tests (not the emulator, sockets,
# subprocesses, cfn-lint or the tools in venvs of their own: pytest markers slow/external).
check: lint types
	$(BIN)/pytest -q -m "not slow and not external"

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

style: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# mypy --strict on the code, and on what the tests share: tests/support's modules and the
# conftest files (not the tests themselves).
MYPY_PATHS := runtime wsgen $(wildcard tests/support/*.py) tests/conftest.py $(wildcard tests/*/conftest.py)
# tests/support/apps/ are written as users write apps, handlers unannotated: mypy checks them
# as it would a user's app, against runtime's types and with the bodies of unannotated
# functions checked too, without --strict's demand for annotations (its own cache: other
# options would make each run re-check the code).
APP_MYPY_FLAGS := --allow-untyped-defs --allow-incomplete-defs --allow-untyped-calls \
	--allow-any-generics --check-untyped-defs --cache-dir .mypy_cache/apps

types: $(STAMP)
	$(BIN)/mypy $(MYPY_PATHS)
	$(BIN)/mypy $(APP_MYPY_FLAGS) tests/support/apps

# The main job on the echo sample: its SAM template, checked by cfn-lint, then printed.
RUN_TEMPLATE := $(VENV)/echo-template.yaml

run: $(STAMP)
	cd samples/echo && $(CURDIR)/$(BIN)/wsgen template --runtime $(GOLDEN_RUNTIME) > $(CURDIR)/$(RUN_TEMPLATE)
	$(BIN)/cfn-lint $(RUN_TEMPLATE)
	@echo "# samples/echo: cfn-lint found no errors or warnings; deploy with sam build && sam deploy --guided" >&2
	@cat $(RUN_TEMPLATE)

# Rewrite tests/golden/<sample>.yaml from each sample, and sources.yaml from the app with every
# kind of event handler (review the diff before committing), as the golden tests compare them:
# tests/support/golden.py lists them and pins the runtime.
GOLDEN_RUNTIME = $(shell $(BIN)/python -m tests.support.golden --runtime)

golden: $(STAMP)
	$(BIN)/python -m tests.support.golden

# Rewrite wsgen/template/getatts.json (each resource type's Fn::GetAtt attributes) from the
# cfn-lint of .venv, after upgrading it; a slow test says when it is stale.
getatts: $(STAMP)
	$(BIN)/python -m wsgen.template.attributes

# The echo sample on the local API Gateway emulator; talk to it with
# .venv/bin/python -m websockets ws://127.0.0.1:8000/local
local: $(STAMP)
	$(BIN)/wsgen local --app-dir samples/echo

# aws-sam-cli pins its own boto3, so it lives in its own virtual environment.
SAM_VENV := .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed

sam: $(SAM_STAMP)

$(SAM_STAMP):
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet aws-sam-cli==1.170.0
	touch $@

# checkov (the IaC security scanner) pins its own dependencies, so it too has its own venv.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed

checkov: $(CHECKOV_STAMP)

$(CHECKOV_STAMP):
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet checkov==3.3.30
	touch $@

# Benchmarks against Chalice (installed from PyPI here only), one table into bench/RESULTS.md;
# the `local` extra is the embedded DynamoDB (moto) the connections rows run against.
# `make test` runs a one-iteration smoke of every benchmark (tests/bench) with this venv.

bench: $(BENCH_STAMP)
	$(BENCH_VENV)/bin/python -m bench --write bench/RESULTS.md

$(BENCH_STAMP): pyproject.toml
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet chalice==1.34.0 -e '.[local]'
	touch $@

clean:
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) $(BENCH_VENV) .venv-python3.* .pytest_cache .mypy_cache .ruff_cache
