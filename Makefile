# serverless-sweep developer entry points. `make run` and `make test` bootstrap .venv themselves.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SWEEP_EXAMPLE ?= examples/ride_hailing_sweep.json

.PHONY: setup run test test-fast codegen codegen-check lint typecheck bench clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH (or set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[local,aws,dev]'
	touch $(STAMP)

setup: $(STAMP)  ## create .venv with the package and all tools

run: $(STAMP)  ## run the example sweep locally and print where the results are
	$(BIN)/sweep run $(SWEEP_EXAMPLE)

test: $(STAMP)  ## codegen drift check, lint, types and the whole test suite
	$(BIN)/python -m codegen --check
	$(BIN)/ruff check src tests codegen bench infra
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 -q

test-fast: $(STAMP)  ## the test suite only
	$(BIN)/python -m pytest -n 2 -q

codegen: $(STAMP)  ## regenerate everything derived from schemas/
	$(BIN)/python -m codegen

codegen-check: $(STAMP)  ## fail when a generated file differs from a fresh generation
	$(BIN)/python -m codegen --check

lint: $(STAMP)  ## ruff and mypy
	$(BIN)/ruff check src tests codegen bench infra
	$(BIN)/ruff format --check src tests codegen bench infra
	$(BIN)/mypy

bench: $(STAMP)  ## print the benchmark figures
	$(BIN)/python bench/bench_model.py
	$(BIN)/python bench/bench_dispatch.py
	$(BIN)/python bench/bench_parallel.py

clean:  ## remove the venv and local run data
	rm -rf $(VENV) sweep-data .pytest_cache .mypy_cache .ruff_cache

# -- AWS deployment (infra/README.md) ------------------------------------------------------------
LAMBDA_BUILD_ARGS ?= --strip --fail-over-limit
# plug-in model packages for both artifacts (directories, wheels or requirements; infra/README.md)
MODEL_PACKAGES ?=
DEPLOY_ARGS ?=
TF_APPLY_ARGS ?=
FUNCTION ?= both
VERSION ?=
CHECKOV_VENV := build/checkov-venv
CHECKOV_VERSION ?= 3.3.30

.PHONY: package deploy rollback versions checkov

package: $(STAMP)  ## build build/lambda/parent.zip and child.zip (PyPI, python3.12 and binutils needed)
	SWEEP_MODEL_PACKAGES="$(MODEL_PACKAGES)" $(BIN)/python infra/build_lambda.py $(LAMBDA_BUILD_ARGS)

deploy: $(STAMP)  ## preflight a temporary AWS session, build, upload, terraform apply, move the live aliases
	SWEEP_MODEL_PACKAGES="$(MODEL_PACKAGES)" $(BIN)/python infra/deploy.py deploy $(DEPLOY_ARGS) $(if $(strip $(TF_APPLY_ARGS)),-- $(TF_APPLY_ARGS))

rollback: $(STAMP)  ## point live back: FUNCTION=parent|child|both (default both), VERSION=n (default: previous)
	$(BIN)/python infra/deploy.py rollback $(FUNCTION) $(if $(VERSION),--to $(VERSION))

versions: $(STAMP)  ## what the live aliases point at
	$(BIN)/python infra/deploy.py versions

checkov:  ## checkov on infra/terraform (installs checkov into its own venv, build/checkov-venv)
	test -x $(CHECKOV_VENV)/bin/checkov || { $(PYTHON) -m venv $(CHECKOV_VENV) && $(CHECKOV_VENV)/bin/pip install --quiet checkov==$(CHECKOV_VERSION); }
	BC_SKIP_MAPPING=TRUE $(CHECKOV_VENV)/bin/checkov -d infra/terraform --framework terraform --skip-download --compact --quiet
