# Photoarchive: `make run` to start, `make test` to check everything.
#
# Installs come from uv.lock (exact versions and hashes of everything, tests included), read by
# uv, which is itself installed from requirements/uv.txt (pinned, hashed) into .tools/.
PYTHON ?= python3
VENV ?= .venv
TOOLS ?= .tools
BIN := $(VENV)/bin
UV := $(TOOLS)/bin/uv
STAMP := $(VENV)/.installed
EXTRAS := --extra test --extra dev

# uv uses this machine's Python (never downloads one), the venv named above, and the system's
# certificate store (as pip does: a proxy's or a company's CA is trusted there).
export UV_PYTHON_DOWNLOADS := never
export UV_SYSTEM_CERTS := 1
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON := $(PYTHON)
# Installed packages are compiled to bytecode once, here: where PYTHONDONTWRITEBYTECODE is set
# (as in many CI and container environments) every process would otherwise compile Litestar
# and the rest from source at each start, about 2.5 s of CPU for each server and CLI run.
export UV_COMPILE_BYTECODE := 1

.PHONY: run test lint lock-check lock upgrade uv-pin format install clean container-test \
	screenshots bench-serve bench-ingest

$(UV): requirements/uv.txt
	@test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check \
	  --require-hashes --no-deps -r requirements/uv.txt
	@touch $(UV)

# --locked: refuses to install when uv.lock is out of step with pyproject.toml.
$(STAMP): pyproject.toml uv.lock $(UV)
	$(UV) sync --locked $(EXTRAS)
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	PHOTOARCHIVE_DATA_DIR=$${PHOTOARCHIVE_DATA_DIR:-./data} $(BIN)/photoarchive serve

# The suite runs on every core (pytest-xdist): most of its time is spent waiting for servers,
# databases and the browser. Each file goes whole to one worker, so the archive a module's
# tests share is built once; each worker starts its own PostgreSQL, S3 servers and browser.
# TEST_WORKERS=0 runs it in this one process.
TEST_WORKERS ?= auto
test: $(STAMP)
	bash scripts/ensure-browser.sh
	bash scripts/ensure-exiftool.sh
	bash scripts/ensure-postgres.sh
	$(BIN)/python -m compileall -q photoarchive
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

# docs/screenshots/*.png from a demo archive built out of ../shared/testdata/photos.
screenshots: $(STAMP)
	bash scripts/ensure-browser.sh
	$(BIN)/python scripts/screenshots.py

# Benchmarks are not tests: run them by hand on a quiet machine (see bench/README.md).
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP)
	$(UV) sync --locked $(EXTRAS) --extra bench
	@touch $(BENCH_STAMP)

bench-serve: $(BENCH_STAMP)
	@command -v wrk >/dev/null && test -x /usr/sbin/nginx || { \
	  apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk nginx; }
	$(BIN)/python bench/serve.py $(BENCH_ARGS)

# Ingest benchmark against libvips (Debian's libvips42 + pyvips) and naive Pillow; writes
# bench/results/ingest.md. BENCH_ARGS=--quick for a 12 MP-only smoke run.
bench-ingest: $(BENCH_STAMP)
	@ldconfig -p | grep -q 'libvips\.so\.42' || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libvips42; }
	$(BIN)/python bench/ingest.py $(BENCH_ARGS)

lint: $(STAMP) lock-check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Fails when uv.lock does not match pyproject.toml (someone changed one without the other).
lock-check: $(UV)
	$(UV) lock --check

# Refreshing the lock is a deliberate act; commit uv.lock with the reason.
#   make lock      after editing pyproject.toml: keeps every pin that still fits, adds what is new
#   make upgrade   every package to the newest version pyproject.toml allows
#   make upgrade PACKAGE=pillow   just that one
lock: $(UV)
	$(UV) lock

upgrade: $(UV)
	$(UV) lock $(if $(PACKAGE),--upgrade-package $(PACKAGE),--upgrade)

# requirements/uv.txt for another uv: make uv-pin UV_VERSION=x.y.z
uv-pin: $(UV)
	@test -n "$(UV_VERSION)" || { echo "usage: make uv-pin UV_VERSION=x.y.z"; exit 2; }
	echo 'uv==$(UV_VERSION)' | $(UV) pip compile --generate-hashes --no-header --no-annotate \
	  --python-version 3.11 - -o requirements/uv.txt.new
	{ sed -n '/^#/p' requirements/uv.txt; cat requirements/uv.txt.new; } >requirements/uv.txt.tmp
	rm requirements/uv.txt.new && mv requirements/uv.txt.tmp requirements/uv.txt

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Builds the image with buildah (no Docker engine needed) and runs the app inside it.
container-test:
	bash scripts/container-test.sh

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .ruff_cache
