#!/usr/bin/env bash
# README command (2): install what is missing, build, run the whole test suite (numerics,
# compile-fail cases, examples, a soak slice, the fuzzer for 30 s, the sanitizer slice). .ci/run
# calls exactly this. Says which step of four it is at and how long the run has taken.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
step() { echo "test: step $1 of 4: $2 ($(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s so far)" >&2; }
step 1 "packages (scripts/install-deps.sh --tests)"
scripts/install-deps.sh --tests
step 2 "the Release build (build/; about 3 min on 2 cores with nothing cached)"
scripts/build.sh tests
step 3 "the test suite (CTest in build/; about 5 min on 2 cores)"
(cd build && ctest --output-on-failure -j"$(nproc)")
# The same suite's numerics, misuse and AOT tests again under ASan + UBSan, Halide's generated code
# included (host-asan); scripts/sanitize.sh without --ci runs all of it.
step 4 "the sanitizer slice (scripts/sanitize.sh --ci: its build, then its CTest; about 11 min)"
scripts/sanitize.sh --ci
echo "test: done in $(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s" >&2
