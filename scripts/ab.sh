#!/usr/bin/env bash
# Compares this tree with an earlier revision on a shared, noisy machine,
# where the same binary's throughput moves by a fifth from one minute to the
# next: builds REV in a temporary git worktree, then runs SCRIPT alternately
# from there and from here, RUNS times each, printing each run's figures.
# The environment reaches both runs (N, CARDS, STOPS, RADBILL_* ...).
#   RUNS=3 N=150000 scripts/ab.sh HEAD~2 scripts/bench-auth.sh
#   scripts/ab.sh origin/main scripts/overload.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || { echo "usage: [RUNS=n] $0 REV SCRIPT" >&2; exit 2; }
rev=$1 script=$2
RUNS=${RUNS:-2}
old=$(mktemp -d)
trap 'git worktree remove --force "$old" >/dev/null 2>&1 || rm -rf "$old"' EXIT
git worktree add --detach -q "$old" "$rev"
echo "building $(git -C "$old" log --oneline -1) and this tree"
make -C "$old" build >/dev/null
make build >/dev/null
figures() { grep -E 'answered|latency|CPU per|differs|MISMATCH|flood:|journal' || true; }
for i in $(seq 1 "$RUNS"); do
  echo "== run $i: $rev"; "$old/$script" 2>&1 | figures
  echo "== run $i: this tree"; "./$script" 2>&1 | figures
done
