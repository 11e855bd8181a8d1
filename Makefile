# Two entry points: `make demo` and `make test`. Both build the virtualenv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,emulators]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m stytch2workos_emulators.demo

lint: $(STAMP)
	$(BIN)/ruff check src tests $(wildcard bench)
	$(BIN)/ruff format --check src tests $(wildcard bench)

typecheck: $(STAMP)
	$(BIN)/mypy

# Module fixtures (emulators, exported projects) are built once per file: keep a file on one worker.
unit: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadfile

# Headless Chromium for the HTML report's browser test; installed where missing and possible,
# never failing the build (without it that one test skips and says why).
browser:
	@sh scripts/browser.sh

test: browser lint typecheck unit

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
