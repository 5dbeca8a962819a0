# Two commands for a new user: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test

.PHONY: run test lint bench clean package-linux

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_TEST): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP_RUN)

run: $(STAMP_RUN)
	$(BIN)/followup

# One worker per core, at most four (each PostgreSQL test makes its own database and server
# connections). PYTEST_WORKERS=0 runs everything in one process.
PYTEST_WORKERS ?= auto

test: lint
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --maxprocesses 4 $(PYTEST_ARGS)

# Lint and format (ruff), types (mypy: strict outside ui/), architecture (import-linter).
lint: $(STAMP_TEST)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP_TEST)
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

# The Linux package (build/followup_<version>_<arch>.deb); see packaging/README.md. The Windows
# installer is built on Windows: powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1
package-linux: $(STAMP_RUN)
	PYTHON=$(BIN)/python packaging/linux/build-deb.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
