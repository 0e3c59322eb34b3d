# Photoarchive: `make run` to start, `make test` to check everything.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format install clean container-test screenshots bench-serve bench-ingest

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

# Benchmarks are not tests: run them by hand on a quiet machine (see bench/README.md).
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,dev,bench]'
	@touch $(BENCH_STAMP)

bench-serve: $(BENCH_STAMP)
	@command -v wrk >/dev/null && test -x /usr/sbin/nginx || { \
	  apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk nginx; }
	$(BIN)/python bench/serve.py $(BENCH_ARGS)

# Ingest benchmark against libvips (Debian's libvips42 + pyvips) and naive Pillow; writes
# bench/results/ingest.md. BENCH_ARGS=--quick for a 12 MP-only smoke run.
bench-ingest: $(STAMP)
	@ldconfig -p | grep -q 'libvips\.so\.42' || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libvips42; }
	@$(BIN)/python -c 'import pyvips' 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/ingest.py $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Builds the image with buildah (no Docker engine needed) and runs the app inside it.
container-test:
	bash scripts/container-test.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
