#!/usr/bin/env bash
# The real-model benchmark (scripts/bench.sh models runs it after installing and building): kiln
# against ONNX Runtime and PyTorch on torchvision's models, in one interleaved Google Benchmark run.
# Extra arguments go to the benchmark. KILN_BENCH_TUNE_SECONDS (default 20; 0 skips) is kiln-tune's
# budget per model and batch; its file bench/results/models-tuning.json is kept and reused.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/results
models=build/bench-models
peers=build/bench-peers
tune_seconds="${KILN_BENCH_TUNE_SECONDS:-20}"
names=(resnet18 resnet50 resnext50_32x4d mobilenet_v2 mnasnet1_0 squeezenet1_1 googlenet densenet121 efficientnet_b0 mobilenet_v3_small
       regnet_y_400mf shufflenet_v2_x1_0 convnext_tiny)
steps=$(( 4 + (tune_seconds != 0 ? 1 : 0) ))
step=0
start=$SECONDS
say() { step=$((step + 1)); echo "bench models: step $step of $steps: $1 ($((SECONDS - start)) s so far)" >&2; }

say "ONNX Runtime from the npm registry (onnxruntime-node 1.30.0, CPU library only, into $peers)"
if [ ! -f "$peers/node_modules/onnxruntime-node/package.json" ]; then
  command -v npm >/dev/null && command -v node >/dev/null ||
    { echo "bench models: Node.js and npm are needed for ONNX Runtime (apt-get install nodejs npm)" >&2; exit 2; }
  mkdir -p "$peers"
  # --ignore-scripts: the package's install script downloads GPU libraries from outside, which fails
  # here; the CPU library ships in the package itself.
  npm install --prefix "$peers" --ignore-scripts --no-audit --no-fund onnxruntime-node@1.30.0 >&2
fi

say "exporting ${#names[@]} torchvision models to ONNX (kept in $models once exported)"
/usr/bin/python3 bench/export_models.py "$models" "${names[@]}" 2>&1 | grep -v -i "warning" >&2 || true
for n in "${names[@]}"; do [ -f "$models/$n.onnx" ] || { echo "bench models: $models/$n.onnx was not exported" >&2; exit 1; }; done

if [ "$tune_seconds" != 0 ]; then
  say "kiln-tune on each model at batch 1 and 8 ($tune_seconds s of search each, after compiling the model: about 75 s each on 2 cores; progress in $out/models-tuning.log)"
  for n in "${names[@]}"; do
    for batch in 1 8; do
      build/examples/kiln-tune "$models/$n.onnx" --batch "$batch" --seconds "$tune_seconds" --out "$out/models-tuning.json" 2>>"$out/models-tuning.log"
    done
  done
  export KILN_BENCH_TUNING="$out/models-tuning.json"
fi

say "the benchmark: ${#names[@]} models x batch 1 and 8, kiln, ONNX Runtime and PyTorch interleaved (about 25 min on 2 cores)"
KILN_BENCH_MODELS="$models" KILN_ONNXRUNTIME_NODE="$peers/node_modules/onnxruntime-node" KILN_NODE="$(command -v node)" \
  build/bench/models_bench --benchmark_enable_random_interleaving=true \
  --benchmark_out="$out/models.json" --benchmark_out_format=json "$@"

say "the report"
/usr/bin/python3 bench/models_report.py "$out/models.json" --out "$out"
