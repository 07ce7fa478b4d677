# SenseQuant — two quick-start targets: `make run` (main job) and `make test` (full test suite).
# Both create .venv if needed and install the project with its dev extra first.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DATA   ?=
CONFIG ?=
RUN_ARGS ?=

.PHONY: setup run test lint bench clean-venv

$(BIN)/sensequant: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(BIN)/sensequant

## make run [DATA=../shared/data] [CONFIG=configs/default.yaml] [RUN_ARGS="--universe nifty50"]
## Without DATA: fetch NIFTY 50 stocks and the index from Yahoo Finance (incremental);
## offline it says so and points to DATA= / `sensequant data import`.
run: setup
ifneq ($(strip $(DATA)),)
	$(BIN)/sensequant data import --repair-ohlc $(DATA)  # 1996 Yahoo rows: high/low widened
else
	$(BIN)/sensequant data fetch --provider yahoo --universe nifty50 --symbols "NIFTY 50" \
		--interval 1day --start 2000-01-01 --offline-ok
endif
	$(BIN)/sensequant run $(if $(CONFIG),--config $(CONFIG),) $(RUN_ARGS)

## make test: the full test suite (real-data tests read ../shared/data, skipped when absent)
test: setup
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: setup
	$(BIN)/python benchmarks/bench_models.py --data ../shared/data

clean-venv:
	rm -rf $(VENV)
