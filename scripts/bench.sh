#!/usr/bin/env bash
# README's benchmark command: installs what is missing (PyTorch included), builds kiln, runs kiln
# (every CPU schedule), oneDNN, PyTorch and the plain-loop reference on W1-W5 and GoogLeNet in one Google Benchmark run with interleaved
# repetitions, then writes bench/results/{results,report}.json, report.md and report.svg.
# Extra arguments go to the benchmark (e.g. --benchmark_filter='W2/'). Exits 3 when the fusion
# guard trips (a fused schedule slower than its unfused twin). Takes 15-35 min on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --bench  # PyTorch is a peer here only
scripts/build.sh
out=bench/results
mkdir -p "$out"
export OPENBLAS_CORETYPE=SkylakeX  # OpenBLAS 0.3.21 takes this AMD Zen 5 for a Haswell
build/bench/schedules_bench --benchmark_enable_random_interleaving=true \
  --benchmark_out="$out/results.json" --benchmark_out_format=json "$@"
/usr/bin/python3 bench/report.py "$out/results.json" --out "$out"
