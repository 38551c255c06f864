#!/usr/bin/env bash
# README command (2): install what is missing, build, run the whole test suite (numerics,
# compile-fail cases, examples). .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd build
ctest --output-on-failure -j"$(nproc)"
