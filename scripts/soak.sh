#!/usr/bin/env bash
# Runs kiln's randomized test suites under N fresh seeds and prints each failing seed with the
# command that replays it. A random test that fails for one seed in a hundred fails CI one day in
# a hundred: every seed printed here is a bug to fix.
#
# Usage: scripts/soak.sh [-j JOBS] N [SUITE...]
#   SUITE: a doctest test-case pattern, or one of these groups (default: numerics):
#     numerics   conv, pool, dense and the other layer suites, random conv blocks under fused/unfused
#     schedules  the schedule suites (fixed nets, fresh data) and random blocks under the autoschedulers
#   Logs of failing runs are kept in build/soak/.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=1
if [ "${1:-}" = "-j" ]; then jobs="$2"; shift 2; fi
n="${1:?usage: scripts/soak.sh [-j JOBS] N [SUITE...]}"
shift
case "$n" in '' | *[!0-9]*) echo "soak: N must be a positive integer, got '$n'" >&2; exit 2 ;; esac
[ "$#" -gt 0 ] || set -- numerics

patterns=()
for suite in "$@"; do
  case "$suite" in
    numerics) patterns+=("conv*" "lecture*" "dense*" "activations*" "softmax*" "local response*" "batch norm*"
                         "pooling*" "global average*" "random conv blocks match the reference under fused*") ;;
    schedules) patterns+=("schedules: conv*" "schedules: the*" "schedules: odd*" "known Halide*"
                          "random conv blocks match the reference under Halide*" "an inception*" "residual*") ;;
    *) patterns+=("$suite") ;;
  esac
done
filter=$(IFS=,; echo "${patterns[*]}")

tests="${KILN_TESTS:-build/tests/kiln_tests}"  # KILN_TESTS: another build of the suite
[ -x "$tests" ] || { echo "soak: $tests is missing; run scripts/build.sh tests first" >&2; exit 2; }
mkdir -p build/soak

# A seed per run, drawn here so that the list is known before any run starts.
seeds=()
for ((i = 0; i < n; ++i)); do seeds+=("$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')"); done

run_one() {
  local index="$1" seed="$2" log="build/soak/$2.log" verdict=pass
  KILN_SEED="$seed" "$tests" --test-case="$filter" >"$log" 2>&1 || verdict=FAIL
  [ "$verdict" = FAIL ] || rm -f "$log"
  echo "$verdict $seed ($index/$n)"
  echo "$verdict $seed ($index/$n)" >&2  # progress; stdout is collected for the summary
}
export -f run_one
export tests filter n

start=$(date +%s)
echo "soak: $n seeds x [$filter], $jobs at a time"
results=$(for ((i = 0; i < n; ++i)); do echo "$((i + 1)) ${seeds[i]}"; done |
  xargs -P "$jobs" -L1 bash -c 'run_one "$0" "$1"')
failed=$(grep -c '^FAIL' <<<"$results" || true)
echo "soak: $((n - failed)) passed, $failed failed in $(($(date +%s) - start)) s"
if [ "$failed" -gt 0 ]; then
  grep '^FAIL' <<<"$results" | while read -r _ seed _; do
    echo "  KILN_SEED=$seed $tests --test-case='$filter'   # log: build/soak/$seed.log"
  done
  exit 1
fi
