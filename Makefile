# The one way in: `make demo`, `make test`, `make lint`, `make bench`.
# `make` creates .venv and installs the project into it on a fresh machine by itself.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: all install demo test lint format chromium interop bench bench-demo bench-ledger bench-checkin bench-evoting bench-site bench-forensics bench-scale bench-audit bench-observers clean vendor-observer vendor-js bench-scale-ingest

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

# The observer phone page's cryptography (@noble/curves, @noble/hashes; MIT), bundled by esbuild
# from the versions pinned in web-vendor-observer/package-lock.json into the committed file
# src/achyk/web/static/vendor/noble-observer.js (its SHA-256 is pinned in
# tests/observers/test_phone_vendor.py: update both together).
vendor-observer:
	cd web-vendor-observer && npm ci --no-audit --no-fund && npm run build

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

# The voting page's third-party code (@noble/curves, @noble/hashes, jsQR), installed at the versions
# pinned in web-vendor/package-lock.json and bundled into one committed ES module. Deterministic:
# the same lock gives the same bytes, and tests/web/test_vendor_bundle.py checks its SHA-256.
VENDOR = src/achyk/web/static/vendor
vendor-js:
	cd web-vendor && npm ci --no-audit --no-fund
	web-vendor/node_modules/.bin/esbuild web-vendor/entry.js --bundle --format=esm --minify \
		--legal-comments=none --target=es2020 --outfile=$(VENDOR)/achyk-vendor.js
	cat web-vendor/node_modules/@noble/curves/LICENSE web-vendor/node_modules/@noble/hashes/LICENSE \
		web-vendor/node_modules/jsqr/LICENSE > $(VENDOR)/LICENSES.txt
	sha256sum $(VENDOR)/achyk-vendor.js

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache achyk.db interop/bin
