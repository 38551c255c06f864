#!/usr/bin/env bash
# Installs kiln's Debian bookworm dependencies that are missing (needs root or sudo).
# Usage: scripts/install-deps.sh [--bench]
set -euo pipefail
packages=(cmake ninja-build g++ ccache libhalide14-0-dev libboost-dev doctest-dev libbenchmark-dev libpng-dev nlohmann-json3-dev libcli11-dev graphviz libdnnl-dev ocl-icd-opencl-dev python3 clang-14 libclang-rt-14-dev)
# libcli11-dev: the command-line tools' argument parser (kiln-inspect, kiln-tune, the generator).
# python3: bench/report.py and its test (standard library only).
# clang-14, libclang-rt-14-dev: the libFuzzer harnesses (scripts/fuzz.sh; a CTest case runs it).
# ocl-icd-opencl-dev: Debian's dnnl CMake config looks for OpenCL, and libdnnl-dev only recommends it.
# --bench: also the benchmark-only peer PyTorch (python3-torch, ~235 packages; CI does not need it).
[ "${1:-}" = "--bench" ] && packages+=(python3-torch)
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
