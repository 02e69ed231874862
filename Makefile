# The README's two commands are `make demo` and `make test`. Every target bootstraps what it
# needs from the repo's own files: uv (pinned in .mise.toml) via pip into .tools/, the Python
# environment from uv.lock, the npm lint tools from tools/node/package-lock.json.
SHELL := /bin/bash
.DEFAULT_GOAL := help

MISE_PIN = $(shell sed -n 's/^$(1) *= *"\([^"]*\)".*/\1/p' .mise.toml)
UV_VERSION := $(call MISE_PIN,uv)
PYTHON_VERSION := $(call MISE_PIN,python)
PYTHON ?= python3

BOOTSTRAP := .tools/uv-$(UV_VERSION)
UV := $(BOOTSTRAP)/bin/uv
export UV_PYTHON := $(PYTHON_VERSION)
export UV_PYTHON_DOWNLOADS := never
# Installs are compiled to bytecode once: every later interpreter start (the suite spawns many)
# then loads .pyc instead of compiling botocore & co. from source, which PYTHONDONTWRITEBYTECODE
# (set on some machines and in the images) would otherwise make it do every time.
export UV_COMPILE_BYTECODE := 1
SYNCED := .venv/.synced-$(UV_VERSION)-pyc
NODE_TOOLS := tools/node/node_modules/.installed
CHECKOV_ENV := tools/envs/checkov/.venv/.synced-pyc
RUN := $(UV) run --frozen --no-sync

.PHONY: help setup demo test check lint security fmt pytest bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(BOOTSTRAP)
	$(BOOTSTRAP)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

# Quiet: a first `make demo` listed ~130 `+ package==version` lines before anything of the demo
# (#22 row 15); uv still prints its errors, and one line says what happened.
$(SYNCED): $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --quiet
	@echo "python environment: .venv synced from uv.lock"
	@touch $@

$(NODE_TOOLS): tools/node/package.json tools/node/package-lock.json
	npm ci --prefix tools/node --no-audit --no-fund --loglevel=error
	@touch $@

$(CHECKOV_ENV): $(UV) tools/envs/checkov/uv.lock tools/envs/checkov/pyproject.toml
	$(UV) sync --frozen --quiet --project tools/envs/checkov
	@echo "checkov environment: tools/envs/checkov/.venv synced from its uv.lock"
	@touch $@

setup: $(SYNCED) $(NODE_TOOLS) $(CHECKOV_ENV) ## Install everything the gate needs (idempotent)

demo: $(SYNCED) ## Run the whole document flow locally on an embedded AWS
	$(RUN) idp demo

lint: setup ## The lint gate (ruff, mypy, actionlint, zizmor, check-jsonschema, shellcheck, checkov, secrets, doc-configs)
	$(RUN) idp lint

security: setup ## The security checks of a pull request's security job (checkov, zizmor, actionlint, secrets)
	$(RUN) idp lint --only checkov --only zizmor --only actionlint --only detect-secrets

pytest: setup ## The test suite only (parallel, coverage enforced)
	$(RUN) pytest -n auto

test: setup ## The whole gate: lint + tests with coverage >= 80% (side by side)
	scripts/test-gate $(RUN)

check: $(SYNCED) $(NODE_TOOLS) ## The inner loop (< 60 s): the quick lint checks of what changed since main, the unit tests
	$(RUN) idp lint --quick
	$(RUN) pytest -m unit -n auto --no-cov -q

bench: $(SYNCED) ## Performance budgets (plan-comment rendering, handler import times, local apply, demo)
	$(RUN) pytest -m bench -n 0 --no-cov -rxX -s

fmt: $(SYNCED) ## Format Python (ruff); terraform/terragrunt fmt where the binaries exist
	$(RUN) ruff check --fix .
	$(RUN) ruff format .
	@if command -v terraform >/dev/null; then terraform fmt -recursive modules; else echo "skipped: terraform fmt (no terraform binary; pinned in .mise.toml, run by CI and pre-commit)"; fi
	@if command -v terragrunt >/dev/null; then terragrunt hcl fmt --working-dir live; else echo "skipped: terragrunt hcl fmt (no terragrunt binary; pinned in .mise.toml, run by CI and pre-commit)"; fi

clean: ## Remove the environments and caches made by make
	rm -rf .tools .venv tools/envs/checkov/.venv tools/node/node_modules .pytest_cache .mypy_cache .ruff_cache .coverage htmlcov
