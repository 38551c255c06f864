#!/usr/bin/env bash
# README command (2): install what is missing, build, run the whole test suite (numerics,
# compile-fail cases, examples, a soak slice, the fuzzer for 30 s, the sanitizer slice). .ci/run
# calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --tests
scripts/build.sh tests
(cd build && ctest --output-on-failure -j"$(nproc)")
# The same suite's numerics, misuse and AOT tests again under ASan + UBSan, Halide's generated code
# included (host-asan); scripts/sanitize.sh without --ci runs all of it.
scripts/sanitize.sh --ci
