#!/usr/bin/env bash
# README command (1): install what is missing, build, run the main demo (examples, an AOT program,
# the inspector on a fused conv-ReLU-pool block, an ONNX model imported as a declaration and run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --examples
scripts/build.sh demo
echo; echo "=== examples/quickstart ==="; build/examples/quickstart
echo; echo "=== examples/sobel ==="; build/examples/sobel build/sobel.png
echo; echo "=== examples/googlenet ==="; build/examples/googlenet
echo; echo "=== examples/cifar10 ==="; build/examples/cifar10
echo; echo "=== examples/aot_cifar10 (AOT kernels, no libHalide: $(readelf -d build/examples/aot_cifar10 | grep -c NEEDED) shared libraries, none Halide) ==="
build/examples/aot_cifar10
echo; echo "=== kiln-inspect w1 --schedule fused --out build/inspect ==="
mkdir -p build/inspect
# The report's first lines (stdout), then the files it wrote (its steps and file lines go to stderr).
build/examples/kiln-inspect w1 --schedule fused --out build/inspect 2>build/inspect/steps.txt | sed -n 1,16p
grep '^wrote' build/inspect/steps.txt
echo; echo "=== kiln-import tests/data/onnx/small_cnn.onnx --out build/imported --run (a CNN exported by PyTorch, as a kiln declaration) ==="
build/kiln-import tests/data/onnx/small_cnn.onnx --name SmallCnn --out build/imported --run tests/data/onnx/small_cnn.input.pb
sed -n '/^using SmallCnn/,/^$/p' build/imported/SmallCnn.hpp
