#!/usr/bin/env bash
# Configures and builds kiln (Release) into build/, with ccache when present.
# Usage: scripts/build.sh demo|tests|bench [cmake configure arguments...]
#   demo   the library, the examples and the tools: only what `install-deps.sh --examples` installs
#   tests  the above and the test suite (`--tests`)
#   bench  the above but the tests, and the benchmarks (`--bench`)
# The kind sets every KILN_BUILD_* option, so a tree configured by one command never asks the next
# for packages it did not install. KILN_BUILD_DIR (default build) names the tree;
# KILN_CONFIGURE_ONLY=1 stops after configuring (the test that guards the demo's packages uses it).
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  demo)  options=(-DKILN_BUILD_EXAMPLES=ON -DKILN_BUILD_TESTS=OFF -DKILN_BUILD_BENCH=OFF) ;;
  tests) options=(-DKILN_BUILD_EXAMPLES=ON -DKILN_BUILD_TESTS=ON -DKILN_BUILD_BENCH=OFF) ;;
  bench) options=(-DKILN_BUILD_EXAMPLES=ON -DKILN_BUILD_TESTS=OFF -DKILN_BUILD_BENCH=ON) ;;
  *) echo "usage: scripts/build.sh demo|tests|bench [cmake configure arguments...]" >&2; exit 2 ;;
esac
shift
dir="${KILN_BUILD_DIR:-build}"
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/kiln-ccache}"
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros}"  # precompiled Halide.h (CMakeLists.txt)
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "${options[@]}" "$@" >/dev/null
[ "${KILN_CONFIGURE_ONLY:-0}" = 1 ] && exit 0
cmake --build "$dir" -j"$(nproc)"
