# The two commands of the README, and the steps they are made of.
#   make demo   - set everything up, then run the demo
#   make test   - set everything up (Python environment with the Rust prefilter, Debian packages,
#                 the native stack's binaries: about 30 minutes of Go builds the first time, cached after),
#                 then run the linters and the whole test suite

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The LogQL and TraceQL grammars that `tta-otel dashboards lint` runs under node (npm's own record of them).
QUERY_GRAMMARS := scripts/query-syntax/node_modules/.package-lock.json

.PHONY: demo test setup system-packages stack-build lint unit integration stack-tests bench clean

demo: setup stack-build
	$(BIN)/python -m examples.demo

# The stack's tests and the rest in two pytest processes at once, coverage combined (scripts/run-tests.sh).
test: setup lint stack-build
	BIN=$(BIN) ./scripts/run-tests.sh

setup: system-packages $(VENV)/.installed $(VENV)/.prefilter $(QUERY_GRAMMARS)

system-packages:
	./scripts/install-system-packages.sh

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# The privacy scanner's native prefilter (Rust, optional: without it tta_otel uses RE2's set).
# Cargo's build folder lives in the user cache, so a second build reuses it.
PREFILTER_SOURCES := $(wildcard native/prefilter/*.toml native/prefilter/Cargo.lock native/prefilter/src/*.rs native/prefilter/python/tta_otel_prefilter/*)
$(VENV)/.prefilter: $(VENV)/.installed $(PREFILTER_SOURCES)
	CARGO_TARGET_DIR=$$HOME/.cache/tta-otel/cargo-target $(BIN)/pip install --quiet ./native/prefilter
	touch $@

$(QUERY_GRAMMARS): scripts/query-syntax/package-lock.json
	npm ci --prefix scripts/query-syntax --no-audit --no-fund

stack-build: setup
	$(BIN)/tta-otel stack build

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

unit: setup
	$(BIN)/python -m pytest tests/unit

integration: setup
	$(BIN)/python -m pytest tests/integration

stack-tests: stack-build
	$(BIN)/python -m pytest tests/stack

bench: setup
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.*
