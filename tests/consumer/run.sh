#!/usr/bin/env bash
# A consumer test (CTest consumer.*): builds tests/consumer, a project of a user's own, against kiln
# got one way, and runs its AOT and JIT programs.
#   run.sh find_package|add_subdirectory|fetchcontent KILN_SOURCE_DIR KILN_BUILD_DIR WORK_DIR
# find_package installs KILN_BUILD_DIR (an already built kiln) to WORK_DIR/prefix first. The
# consumer is configured with no build type, and must keep it: kiln as a subproject changes none.
set -euo pipefail
mode=$1 src=$2 kiln_build=$3 work=$4
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
args=(-DKILN_CONSUMER_MODE="$mode" -DKILN_REFERENCE_DIR="$src/tests" -DKILN_ONNX_DIR="$src/tests/data/onnx")
command -v ccache >/dev/null && args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
case $mode in
  find_package)
    rm -rf "$work/prefix"
    echo "consumer: installing kiln to $work/prefix"
    cmake --install "$kiln_build" --prefix "$work/prefix" > "$work/install.log"
    for f in lib/cmake/kiln/kilnConfig.cmake lib/cmake/kiln/kilnConfigVersion.cmake lib/cmake/kiln/KilnAot.cmake \
             lib/libkiln_codegen.a lib/libkiln_runtime.a include/kiln/dsl.hpp include/kiln/version.hpp \
             include/kiln/runtime/aot_call.hpp bin/kiln-inspect share/doc/kiln/LICENSE \
             lib/cmake/kiln/KilnOnnx.cmake lib/libkiln_onnx.a include/kiln/onnx/import.hpp bin/kiln-import; do
      [ -e "$work/prefix/$f" ] || { echo "consumer: the install has no $f"; exit 1; }
    done
    args+=(-DCMAKE_PREFIX_PATH="$work/prefix") ;;
  add_subdirectory) args+=(-DKILN_SOURCE_DIR="$src") ;;
  # The README's form names a repository; the test points FetchContent at this working tree.
  fetchcontent) args+=(-DKILN_SOURCE_DIR="$src" -DFETCHCONTENT_SOURCE_DIR_KILN="$src") ;;
  *) echo "usage: run.sh find_package|add_subdirectory|fetchcontent KILN_SOURCE_DIR KILN_BUILD_DIR WORK_DIR" >&2; exit 2 ;;
esac
echo "consumer: configuring ($mode)"
cmake -S "$here" -B "$work/build" -G Ninja "${args[@]}" > "$work/configure.log" || { cat "$work/configure.log"; exit 1; }
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$work/build/CMakeCache.txt")
[ -z "$build_type" ] || { echo "consumer: kiln set the consumer's build type to '$build_type'"; exit 1; }
if [ "$mode" != find_package ]; then
  # As a subproject kiln builds none of its tests, examples or benchmarks.
  if cmake --build "$work/build" --target help | grep -qE '^(kiln_tests|quickstart|schedules_bench):'; then
    echo "consumer: kiln's tests, examples or benchmarks are part of the consumer's build"; exit 1
  fi
fi
# FetchContent_MakeAvailable adds the fetched tree with add_subdirectory: past configuring, its build
# is the add_subdirectory case's, compiled and run there. Here: the same targets, configured.
if [ "$mode" = fetchcontent ]; then
  targets=$(ninja -C "$work/build" -t targets all)
  for t in consumer_aot consumer_jit consumer_onnx edge-inspect edge-tune edge_net small_cnn kiln_codegen kiln_generator; do
    grep -q "^$t:" <<< "$targets" || { echo "consumer: FetchContent's configure gave no target $t"; exit 1; }
  done
  echo "consumer: $mode configures every target (built and run by consumer.add_subdirectory)"
  exit 0
fi
echo "consumer: building"
cmake --build "$work/build" -j"$(nproc)" > "$work/build.log" || { tail -50 "$work/build.log"; exit 1; }
"$work/build/consumer_aot"
"$work/build/consumer_jit"
# kiln_add_onnx_net's kernel against PyTorch's output, with the weights kiln-import wrote.
"$work/build/consumer_onnx" "$(cat "$work/build/onnx_weights.txt")" "$src/tests/data/onnx/small_cnn.input.pb" "$src/tests/data/onnx/small_cnn.output.pb"
# The inspector and tuner kiln_add_inspector and kiln_add_tuner built for the consumer's net.
report=$("$work/build/edge-inspect" --schedule fused)
grep -q '^l1_conv .*inside l3_pool_maxpool.s tiles, never stored whole' <<< "$report" ||
  { echo "consumer: edge-inspect does not show EdgeNet's first conv fused"; echo "$report"; exit 1; }
refused=$("$work/build/edge-inspect" w1 2>&1) && { echo "consumer: edge-inspect took a net it does not know"; exit 1; }
grep -q "'w1' is not a known net (EdgeNet)" <<< "$refused" || { echo "consumer: edge-inspect said: $refused"; exit 1; }
"$work/build/edge-tune" --seconds 1 --candidates 2 --out "$work/edge.tuning.json" 2>"$work/tune.log" || { echo "consumer: edge-tune failed"; cat "$work/tune.log"; exit 1; }
report=$("$work/build/edge-inspect" --tuning "$work/edge.tuning.json")
grep -q '^l1_conv..l3_pool: .*(tuned\|(cost model' <<< "$report" ||
  { echo "consumer: edge-inspect --tuning shows no plan from edge-tune's file"; echo "$report"; exit 1; }
for program in consumer_aot consumer_onnx; do
  if readelf -d "$work/build/$program" | grep -qi halide; then
    echo "consumer: $program links libHalide"; exit 1
  fi
done
echo "consumer: $mode works"
