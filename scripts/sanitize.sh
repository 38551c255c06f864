#!/usr/bin/env bash
# kiln's test suite under AddressSanitizer and UndefinedBehaviorSanitizer (g++), built into
# build-asan/. Compiler flags instrument kiln's own code only; the code Halide generates is
# instrumented by Halide's `asan` target feature: JIT pipelines run with HL_JIT_TARGET=host-asan and
# AOT kernels are generated for host-asan. Any finding fails the run (no recovery, leaks included).
#
# Usage: scripts/sanitize.sh [--ci]
#   --ci  the slice the README's test command runs: the numerics, random-block, misuse, safetensors
#         and AOT tests and three examples, without the schedule suites and the autoschedulers (whole
#         nets under five schedules take most of an hour under ASan on 2 cores). Without it:
#         everything, GoogLeNet included.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=full
case "${1:-}" in
  --ci) mode=ci ;;
  "") ;;
  *) echo "sanitize: unknown option '$1' (use --ci or nothing)" >&2; exit 2 ;;
esac

export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/kiln-ccache}"
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros}"  # precompiled Halide.h (CMakeLists.txt)
flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
echo "sanitize: configuring build-asan/ ($flags, Halide target host-asan)"
# -O1 -g1: ASan's recommended optimization, and line tables, all a report's stack needs; together
# they halve the instrumented build's compile time against -O2 -g.
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS="$flags" \
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
      -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" -DKILN_AOT_DEFAULT_TARGET=host-asan \
      -DKILN_BUILD_BENCH=OFF >/dev/null
targets=(kiln_tests aot_test)
[ "$mode" = full ] && targets=(all)
echo "sanitize: building ${targets[*]} (several minutes on 2 cores)"
cmake --build build-asan -j"$(nproc)" --target "${targets[@]}"
[ "$mode" = ci ] && cmake --build build-asan -j"$(nproc)" --target aot_dispatch_test quickstart sobel aot_cifar10 kiln-tune kiln-import

# Halide's JIT allocates through LLVM, which ASan sees as one-time leaks at exit in libHalide's
# static state; leaks in kiln's code would show as allocations from kiln frames and still fail.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/sanitize/lsan.supp"
export HL_JIT_TARGET=host-asan
cd build-asan
if [ "$mode" = ci ]; then
  # The newest layers' gradient checks run Halide's autodiff pipelines (the Release suite checks their
  # numbers); their forward tests, which run kiln's lowering of those layers, stay in the slice. The
  # shapes early soak runs failed on (wrong numbers, not memory errors) are left to the Release suite
  # too, and the Winograd nets (94 s under ASan for the smaller one); the random conv blocks and the
  # Winograd plan checks stay.
  ctest --output-on-failure -j"$(nproc)" -L 'numerics|aot|example' \
        -E 'schedules|GoogLeNet|googlenet|Halide 14 defect|inception|residual|autoschedul|inspect|cuda|example.cifar10|example.train|training gradients: (SiLU|squeeze|layer norm|channel slices)|the shapes the first soak runs failed on|winograd: F'
else
  # consumer: projects built without sanitizers, nothing of kiln's code runs instrumented there.
  ctest --output-on-failure -j"$(nproc)" -LE 'compile_fail|bench|fuzz|soak|sanitize|consumer'
fi
