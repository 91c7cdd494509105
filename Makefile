# radbill — `make run` starts radiusd on the embedded SQLite with demo data,
# `make test` runs every check CI runs.
GO      ?= go
BIN     := bin
CONFIG  ?= scripts/demo/radiusd.yaml
GOFILES := $(shell git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*')

.PHONY: all build run test test-go test-tcl test-faults test-galera fmt-check vet bench fuzz clean

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

# The demo: the sample tariff (scripts/demo/tariff) imported, plan "retail"
# set for the demo client, a console user "admin" (its password printed the
# first time), then radiusd with the web console in the foreground.
run: build
	$(BIN)/radbill --config $(CONFIG) db migrate
	$(BIN)/radbill --config $(CONFIG) tariff import scripts/demo/tariff/*.csv
	$(BIN)/radbill --config $(CONFIG) gateway set localhost --plan retail
	$(BIN)/radbill --config $(CONFIG) web user create admin --role admin --if-absent
	$(BIN)/radiusd -config $(CONFIG)

test: fmt-check vet test-go test-tcl

fmt-check:
	@out="$$(gofmt -l $(GOFILES))"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# Tests that need a part the machine lacks (MariaDB, radclient) skip and say
# so in RADBILL_SKIP_LOG; the run ends with one line per reason.
test-go:
	@skips="$$(mktemp)"; \
	RADBILL_SKIP_LOG="$$skips" $(GO) test -race -count=1 -timeout 20m ./...; status=$$?; \
	sort "$$skips" | uniq -c | while read -r n reason; do echo "SKIPPED $$n $$reason"; done; \
	rm -f "$$skips"; exit $$status

test-tcl:
	@if [ -d tcl/harness ]; then tclsh tcl/harness/test_debitcard.tcl; fi

# Fault tests: real radiusd processes on MariaDB (RADBILL_TEST_MYSQL_DSN)
# under radload, killed -9 and restarted, or two sharing one database with
# broadcast accounting; each compares acknowledged Stops with the CDRs.
test-faults:
	$(GO) test -tags faults -count=1 -run Fault -v -timeout 15m ./cmd/radiusd/

# A three-node MariaDB Galera cluster on 127.0.0.1 (scripts/galera.sh;
# Debian's mariadb-server, galera-4, rsync), a radiusd on each node.
test-galera:
	dsns=$$(scripts/galera.sh start | tail -1) && \
	RADBILL_TEST_GALERA_DSNS="$$dsns" $(GO) test -tags galera -count=1 -run Galera -v -timeout 20m ./cmd/radiusd/; \
	rc=$$?; scripts/galera.sh stop; exit $$rc

# Benchmarks: Go micro-benchmarks, then the load generator against radiusd on
# MariaDB (RADBILL_BENCH_MYSQL_DSN, default root@127.0.0.1:3306), then
# reports and exports over 10,000,000 CDRs (filled once, about 15 minutes,
# and kept: see scripts/bench-reports.sh).
bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./radiusd/... ./billing/ ./store/... ./rating/ ./normalize/ ./spool/ ./export/
	$(GO) test -run '^$$' -bench ImportCUCM -benchtime 200000x ./cdrimport/
	scripts/bench.sh
	scripts/bench-reports.sh

# Every fuzz target for FUZZTIME each (default 60s).
fuzz:
	scripts/fuzz.sh

clean:
	rm -rf $(BIN) data
