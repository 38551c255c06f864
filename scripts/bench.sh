#!/usr/bin/env bash
# README's benchmark command: installs what is missing (PyTorch included), builds kiln, runs kiln
# (every CPU schedule), oneDNN, PyTorch and the plain-loop reference on W1-W5 and GoogLeNet in one Google Benchmark run with interleaved
# repetitions, then writes bench/results/{results,report}.json, report.md, report.svg and the PNG
# charts (report-speedup.png, report-roofline.png). Says which step of how many it is at.
#
#   scripts/bench.sh [blocks|models] [benchmark flags...]
#
# blocks (the default): the fused blocks above (about 50 min on 2 cores).
# models: torchvision's models exported to ONNX (bench/export_models.py), imported by kiln and run
#   against ONNX Runtime (npm's onnxruntime-node, installed into build/bench-peers with
#   --ignore-scripts: its install script fetches GPU files from outside) and PyTorch, batch 1 and
#   8, after kiln-tune on this machine; writes bench/results/models.{json,md} and models-speedup.png
#   (about 40 min on 2 cores).
# Extra arguments go to the benchmark (e.g. --benchmark_filter='W2/'). Exits 3 when the fusion
# guard trips (a fused schedule slower than its unfused twin).
set -euo pipefail
cd "$(dirname "$0")/.."
kind=blocks
case "${1:-}" in blocks|models) kind=$1; shift ;; esac
scripts/install-deps.sh --bench  # the peers (oneDNN, PyTorch) are needed here only
scripts/build.sh bench
out=bench/results
mkdir -p "$out"
if [ "$kind" = models ]; then exec scripts/bench-models.sh "$@"; fi
export OPENBLAS_CORETYPE=SkylakeX  # OpenBLAS 0.3.21 takes this AMD Zen 5 for a Haswell
# Measured plans for this machine first (kiln-tune; KILN_BENCH_TUNE_SECONDS per net and batch, 0 to
# skip), so the run has `fused-tuned` rows beside the cost model's `fused`. The file is kept and
# reused: entries already in it (same machine, batch and shapes) are not tuned again.
tune_seconds="${KILN_BENCH_TUNE_SECONDS:-30}"
runs=("w1 1" "w1 128" "w2 1" "w2 128" "w3 1" "w3 8" "w4 1" "w4 8" "cifar10-model4 1" "cifar10-model4 128" "googlenet 1")
steps=$(( ${#runs[@]} + 3 ))  # the tuning runs, the ONNX end-to-end case, the benchmark, the report
[ "$tune_seconds" != 0 ] || steps=3
step=0
start=$SECONDS
if [ "$tune_seconds" != 0 ]; then
  tuning="$out/tuning.json"
  for run in "${runs[@]}"; do
    read -r net batch <<< "$run"  # not `set --`: "$@" goes to the benchmark below
    step=$((step + 1))
    left=$(( (${#runs[@]} - step + 1) * tune_seconds ))
    echo "bench: step $step of $steps: tuning $net at batch $batch (up to $tune_seconds s; at most $left s of tuning left; $((SECONDS - start)) s so far; progress in $out/tuning.log)" >&2
    build/examples/kiln-tune "$net" --batch "$batch" --seconds "$tune_seconds" --out "$tuning" 2>>"$out/tuning.log"
  done
  export KILN_BENCH_TUNING="$tuning"
fi
# The ONNX end-to-end case with the PyTorch installed here: the committed model came from this
# script with PyTorch 1.13; a newer exporter must still give a model kiln imports and matches.
step=$((step + 1))
echo "bench: step $step of $steps: tests/onnx/make_small_cnn.py and torchvision's models exported by this PyTorch, imported and run by kiln-import (about 1 min) ($((SECONDS - start)) s so far)" >&2
e2e=build/onnx_end_to_end
mkdir -p "$e2e"
/usr/bin/python3 tests/onnx/make_small_cnn.py "$e2e"
build/kiln-import "$e2e/small_cnn.onnx" --run "$e2e/small_cnn.input.pb" --output "$e2e/kiln.pb" >/dev/null
/usr/bin/python3 tests/onnx/make_small_cnn.py --compare "$e2e/kiln.pb" "$e2e/small_cnn.output.pb"
# torchvision's architectures (random weights) through the importer: which import, and that those compute PyTorch's answer.
/usr/bin/python3 tests/onnx/torchvision_models.py build/kiln-import "$e2e/torchvision" 2>/dev/null
step=$((step + 1))
echo "bench: step $step of $steps: the benchmark, every implementation interleaved (about 45 min on 2 cores; $((SECONDS - start)) s so far)" >&2
build/bench/schedules_bench --benchmark_enable_random_interleaving=true \
  --benchmark_out="$out/results.json" --benchmark_out_format=json "$@"
step=$((step + 1))
echo "bench: step $step of $steps: the report ($((SECONDS - start)) s so far)" >&2
/usr/bin/python3 bench/report.py "$out/results.json" --out "$out"
