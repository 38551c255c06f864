#!/usr/bin/env bash
# Configures and builds kiln (Release) into build/, with ccache when present. Arguments go to the
# configure step (scripts/bench.sh passes -DKILN_BUILD_BENCH=ON).
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/kiln-ccache}"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build -j"$(nproc)"
