# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint bench bench-open clean

run: $(STAMP)
	$(BIN)/order-engine dev

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports
	$(BIN)/pytest -q

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports

# e.g. make bench BENCH_ARGS="--orders 40 --out /tmp/lifecycle-small.json"
BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/python bench/lifecycle.py $(BENCH_ARGS)

# Open orders at scale, e.g. make bench-open BENCH_ARGS="--open 200 --past 2000 --ship 50"
bench-open: $(STAMP)
	$(BIN)/python bench/open_orders.py $(BENCH_ARGS)

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
