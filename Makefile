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
LAMBDA_ZIP ?= build/lambda/serverless-sweep-lambda.zip
LAMBDA_SMOKE_PYTHON ?=
TF_APPLY_ARGS ?=
TERRAFORM := TF_CLI_CONFIG_FILE=$(CURDIR)/infra/terraformrc terraform -chdir=infra/terraform

.PHONY: package deploy

package: $(STAMP)  ## build the Lambda zip build/lambda/serverless-sweep-lambda.zip (needs PyPI and binutils)
	$(BIN)/python infra/build_lambda.py --output $(LAMBDA_ZIP) --strip --fail-over-limit \
		$(if $(LAMBDA_SMOKE_PYTHON),--smoke $(LAMBDA_SMOKE_PYTHON))

deploy: $(STAMP)  ## package, then terraform init + apply infra/terraform (asks before changing anything)
	@command -v terraform >/dev/null 2>&1 || { echo "make deploy: terraform is not on PATH"; exit 1; }
	@$(BIN)/python -c 'import sys, boto3; sys.exit(0 if boto3.Session().get_credentials() else "make deploy: no AWS credentials configured (environment, AWS_PROFILE, SSO or an instance role); refusing to deploy")'
	$(MAKE) package
	$(TERRAFORM) init -input=false -lockfile=readonly
	$(TERRAFORM) apply -var lambda_zip_path=$(CURDIR)/$(LAMBDA_ZIP) $(TF_APPLY_ARGS)
	@echo "First deployment? Create the Athena tables once: see infra/README.md (athena_ddl_commands)."
