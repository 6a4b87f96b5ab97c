# The one way in: `make demo`, `make test`, `make lint`, `make bench`.
# `make` creates .venv and installs the project into it on a fresh machine by itself.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: all install demo test lint format chromium interop bench bench-demo bench-ledger bench-checkin bench-evoting bench-site bench-forensics bench-scale bench-scale-ingest bench-audit bench-observers clean

all: install

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/achyk demo --profile kg-2025

test: $(STAMP) chromium interop
	$(BIN)/python -m pytest -n 2 -q

# Browser tests drive Debian's Chromium (Playwright with its executable path; no browser download).
chromium:
	@test -x /usr/bin/chromium || (apt-get update -q && apt-get install -y -q chromium)

# The second verifier, in Go (interop/README.md): Debian's Go, x/mod and btcec, built offline in
# GOPATH mode against the packaged sources under /usr/share/gocode (nothing is downloaded).
GO_ENV := GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off
GO_DEBS := golang-go golang-golang-x-mod-dev golang-github-btcsuite-btcd-btcec-dev
interop: interop/bin/achyk-verify-go

interop/bin/achyk-verify-go: $(wildcard interop/*.go)
	@command -v go >/dev/null && test -d /usr/share/gocode/src/golang.org/x/mod && \
		test -d /usr/share/gocode/src/github.com/btcsuite/btcd/btcec || \
		(apt-get update -q && apt-get install -y -q $(GO_DEBS))
	cd interop && $(GO_ENV) go vet . && $(GO_ENV) go test -count=1 . && \
		$(GO_ENV) go build -o bin/achyk-verify-go .

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

# A country of 100,000 stations end to end (issue 16): load, ingest, results, publish, verify, memory.
bench-scale: $(STAMP)
	$(BIN)/python benchmarks/bench_scale.py

# Its load and ingest phases alone (bulk and HTTP), on SQLite and on PostgreSQL (DB=postgresql://…).
bench-scale-ingest: $(STAMP)
	$(BIN)/python benchmarks/bench_scale.py --only load-ingest $(if $(DB),--db $(DB))

bench-evoting: $(STAMP)
	bash benchmarks/setup_electionguard.sh
	$(BIN)/python benchmarks/bench_evoting.py

STATIONS ?= 100000
bench-forensics: $(STAMP)
	$(BIN)/python benchmarks/bench_forensics.py $(STATIONS)

bench-observers: $(STAMP)
	$(BIN)/python benchmarks/bench_observers.py

bench-demo: $(STAMP)
	$(BIN)/python benchmarks/bench_demo.py

bench-audit: $(STAMP)
	$(BIN)/python benchmarks/bench_audit.py kg-2025

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache achyk.db interop/bin
