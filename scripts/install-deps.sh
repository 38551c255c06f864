#!/usr/bin/env bash
# Installs the Debian bookworm packages kiln needs that are missing (needs root or sudo).
# Usage: scripts/install-deps.sh [--examples] [--tests] [--bench]
#   (none)      the library and kiln_add_net: what a project using kiln needs
#   --examples  also what the examples and kiln-inspect need (scripts/demo.sh)
#   --tests     also what the test suite needs; implies --examples (scripts/test.sh)
#   --bench     also the benchmark and its peers; implies --examples (scripts/bench.sh)
set -euo pipefail
# cmake, ninja-build, g++: the build. ccache: rebuilds (scripts/build.sh uses it when present).
# libhalide14-0-dev: lowering, scheduling and compiling (JIT and AOT). libboost-dev: Boost.Hana, the
# DSL's compile-time layer lists. nlohmann-json3-dev: safetensors headers and tuning files.
# libcli11-dev: the command-line parser of the tools and of the generator kiln_add_net builds.
# zlib1g-dev: kiln::data reads gzip'd data sets (Fashion-MNIST's IDX files). libonnx-dev,
# libprotobuf-dev: kiln::onnx and kiln-import read ONNX models through ONNX's protobuf classes.
library=(cmake ninja-build g++ ccache libhalide14-0-dev libboost-dev nlohmann-json3-dev libcli11-dev zlib1g-dev libonnx-dev libprotobuf-dev)
# libpng-dev: the Sobel example's image. graphviz: kiln-inspect's net pictures (dot).
examples=(libpng-dev graphviz)
# doctest-dev: the numerics tests. python3, python3-matplotlib: bench/report.py's tests, its charts
# included.
# clang-14, libclang-rt-14-dev: the libFuzzer harnesses (scripts/fuzz.sh; a CTest case runs it).
# dataset-fashion-mnist: the real data set kiln::data's reader is tested on (30 MiB).
# libonnx-testdata: ONNX's own backend test cases, which the importer's conformance suite runs.
tests=(doctest-dev python3 python3-matplotlib clang-14 libclang-rt-14-dev dataset-fashion-mnist libonnx-testdata)
# libbenchmark-dev: Google Benchmark. libdnnl-dev: oneDNN, the peer (its CMake config looks for
# OpenCL, which libdnnl-dev only recommends: ocl-icd-opencl-dev). python3-torch: PyTorch, the other
# peer (~235 packages), and with python3-onnx re-exports the ONNX end-to-end model
# (tests/onnx/make_small_cnn.py); python3-torchvision: real architectures for the importer
# (tests/onnx/torchvision_models.py). python3-matplotlib: the report's charts.
bench=(libbenchmark-dev libdnnl-dev ocl-icd-opencl-dev python3 python3-torch python3-onnx python3-torchvision python3-matplotlib)

packages=("${library[@]}")
for arg in "$@"; do
  case $arg in
    --examples) packages+=("${examples[@]}") ;;
    --tests) packages+=("${examples[@]}" "${tests[@]}") ;;
    --bench) packages+=("${examples[@]}" "${bench[@]}") ;;
    *) echo "usage: scripts/install-deps.sh [--examples] [--tests] [--bench]" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "kiln: all dependencies present"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "kiln: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
