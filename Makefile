# Photoarchive: `make run` to start, `make test` to check everything.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format install clean screenshots

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	PHOTOARCHIVE_DATA_DIR=$${PHOTOARCHIVE_DATA_DIR:-./data} $(BIN)/photoarchive serve

test: $(STAMP)
	bash scripts/ensure-browser.sh
	$(BIN)/python -m pytest

# docs/screenshots/*.png from a demo archive built out of ../shared/testdata/photos.
screenshots: $(STAMP)
	bash scripts/ensure-browser.sh
	$(BIN)/python scripts/screenshots.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
