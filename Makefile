# The one way in: `make demo`, `make test`, `make lint`, `make bench`.
# `make` creates .venv and installs the project into it on a fresh machine by itself.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: all install demo test lint format chromium bench bench-demo bench-ledger bench-checkin bench-evoting bench-site bench-observers clean

all: install

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/achyk demo --profile kg-2025

test: $(STAMP) chromium
	$(BIN)/python -m pytest -n 2 -q

# Browser tests drive Debian's Chromium (Playwright with its executable path; no browser download).
chromium:
	@test -x /usr/bin/chromium || (apt-get update -q && apt-get install -y -q chromium)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

bench: bench-demo bench-ledger bench-checkin bench-site bench-evoting bench-observers

bench-ledger: $(STAMP)
	$(BIN)/python benchmarks/bench_ledger.py

bench-checkin: $(STAMP)
	$(BIN)/python benchmarks/bench_checkin.py

bench-site: $(STAMP)
	@command -v wrk >/dev/null || (apt-get update -q && apt-get install -y -q wrk)
	$(BIN)/python benchmarks/bench_site.py kg-2025 10

bench-evoting: $(STAMP)
	bash benchmarks/setup_electionguard.sh
	$(BIN)/python benchmarks/bench_evoting.py

bench-observers: $(STAMP)
	$(BIN)/python benchmarks/bench_observers.py

bench-demo: $(STAMP)
	$(BIN)/python benchmarks/bench_demo.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache achyk.db
