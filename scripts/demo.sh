#!/usr/bin/env bash
# README command (1): install what is missing, build, run the main demo (the three examples).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
echo; echo "=== examples/quickstart ==="; build/examples/quickstart
echo; echo "=== examples/sobel ==="; build/examples/sobel build/sobel.png
echo; echo "=== examples/googlenet ==="; build/examples/googlenet
echo; echo "=== examples/cifar10 ==="; build/examples/cifar10
