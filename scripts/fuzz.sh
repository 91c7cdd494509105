#!/usr/bin/env bash
# Runs every Go fuzz target of the module for FUZZTIME each (default 60s).
# CI runs it briefly (FUZZTIME=5s); the seed corpora run in every `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-60s}
for pkg in $(go list ./...); do
  for target in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
    echo "== $pkg $target ($FUZZTIME)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime 5s "$pkg" | tail -1
  done
done
