#!/usr/bin/env bash
# Builds kiln's libFuzzer harnesses (tests/fuzz/) with clang++-14, ASan and UBSan into build/fuzz/
# (not part of the CMake build, which uses g++), then runs each for SECONDS from a scratch copy of
# its committed seed corpus, so the committed one stays as it is. Exits non-zero on a finding,
# naming the file libFuzzer saved the input in.
# Usage: scripts/fuzz.sh [SECONDS]    build if needed, then fuzz each harness SECONDS (default 60)
#        scripts/fuzz.sh --build-only
#        scripts/fuzz.sh --make-corpus  regenerate tests/fuzz/corpus/ (kiln's writer; PyTorch's exporter for onnx/)
# Needs clang-14 and libclang-rt-14-dev (scripts/install-deps.sh installs them). KILN_FUZZ_DIR
# overrides build/fuzz.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${KILN_FUZZ_DIR:-build/fuzz}"
mode=fuzz
seconds=60
case "${1:-}" in
  --build-only) mode=build ;;
  --make-corpus) mode=corpus ;;
  "") ;;
  0 | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS > 0] | --build-only | --make-corpus" >&2; exit 2 ;;
  *) seconds="$1" ;;
esac

cxx=clang++-14
command -v "$cxx" >/dev/null || { echo "kiln fuzz: $cxx not found (apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 2; }
[ -f "$("$cxx" -print-runtime-dir)/libclang_rt.fuzzer-$(uname -m).a" ] ||
  { echo "kiln fuzz: libFuzzer's runtime not found (apt-get install libclang-rt-14-dev)" >&2; exit 2; }
sanitizers=address,undefined
flags=(-std=c++17 -g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=all -Idsl/include -Iruntime/include -Itests/fuzz)
runtime_sources=(runtime/src/safetensors.cpp runtime/src/weights.cpp runtime/src/atomic_file.cpp)
# The ONNX importer links ONNX's protobuf classes (libonnx-dev), which are not instrumented.
onnx_sources=(onnx/src/onnx_tensor.cpp onnx/src/ratio.cpp onnx/src/graph.cpp onnx/src/operators.cpp onnx/src/import.cpp
              onnx/src/declaration.cpp onnx/src/shape_arithmetic.cpp)
onnx_flags=(-Ionnx/include -DONNX_NAMESPACE=onnx -DONNX_ML=1 -lonnx_proto -lprotobuf)
harnesses=(safetensors onnx)
mkdir -p "$out"

# Rebuilds `binary` from `sources` unless it is newer than everything it may depend on.
build() {
  local binary="$1" fsan="$2"; shift 2
  if [ -x "$binary" ] && [ -z "$(find dsl/include runtime/include runtime/src tests/fuzz scripts/fuzz.sh -newer "$binary" -type f | head -1)" ]; then
    echo "kiln fuzz: $binary is up to date"
    return
  fi
  echo "kiln fuzz: building $binary ($cxx -fsanitize=$fsan)"
  "$cxx" "${flags[@]}" -fsanitize="$fsan" "$@" -o "$binary"
}

if [ "$mode" = corpus ]; then
  build "$out/make_safetensors_corpus" "$sanitizers" tests/fuzz/make_safetensors_corpus.cpp "${runtime_sources[@]}"
  mkdir -p tests/fuzz/corpus/safetensors
  "$out/make_safetensors_corpus" tests/fuzz/corpus/safetensors
  if /usr/bin/python3 -c "import torch" 2>/dev/null; then
    /usr/bin/python3 tests/fuzz/make_onnx_corpus.py tests/fuzz/corpus/onnx
  else
    echo "kiln fuzz: PyTorch (python3-torch) not installed: tests/fuzz/corpus/onnx/ left as it is" >&2
  fi
  exit 0
fi

build "$out/safetensors_fuzz" "fuzzer,$sanitizers" tests/fuzz/safetensors_fuzz.cpp "${runtime_sources[@]}"
build "$out/onnx_fuzz" "fuzzer,$sanitizers" tests/fuzz/onnx_fuzz.cpp "${onnx_sources[@]}" "${runtime_sources[@]}" "${onnx_flags[@]}"
[ "$mode" = build ] && exit 0

status=0
for h in "${harnesses[@]}"; do
  work="$out/corpus/$h" artifacts="$out/artifacts/$h/" log="$out/$h.log"
  mkdir -p "$work" "$artifacts"
  if [ "$h" = onnx ]; then
    # Models the importer accepts: kiln's end-to-end CNN, small nets shaped like real exports
    # (tests/fuzz/make_onnx_corpus.py) and ONNX's node tests of the operators it maps.
    cp tests/data/onnx/*.onnx tests/fuzz/corpus/onnx/*.onnx "$work"/
    for m in /usr/share/libonnx-testdata/data/node/test_{conv,maxpool_2d,averagepool_2d,gemm,batchnorm,lrn,softmax,clip,leakyrelu,hardsigmoid,hardswish,slice,split,shape}*/model.onnx; do
      [ -f "$m" ] && cp "$m" "$work/$(basename "$(dirname "$m")").onnx"
    done
    max_len=65536 dict=()
  else
    cp tests/fuzz/corpus/"$h"/* "$work"/
    max_len=4096 dict=(-dict="tests/fuzz/$h.dict")
  fi
  echo "kiln fuzz: $h for ${seconds}s from $(ls "$work" | wc -l) inputs in $work (log: $log)"
  set +e
  "$out/${h}_fuzz" "$work" "${dict[@]}" -max_total_time="$seconds" -print_final_stats=1 \
    -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" -artifact_prefix="$artifacts" 2>&1 |
    tee "$log" | grep --line-buffered -E '^#[0-9]+[[:space:]]+(INITED|pulse|DONE)|ERROR|SUMMARY|Test unit written|stat::|deadly|panic'
  rc=${PIPESTATUS[0]}
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ "$rc" -ne 0 ]; then
    echo "kiln fuzz: $h FOUND A PROBLEM (libFuzzer exit $rc) after ${execs:-?} executions; input saved as:"
    grep -o 'Test unit written to .*' "$log" | sed 's/^Test unit written to /  /' || echo "  (none saved; see $log)"
    echo "kiln fuzz: replay with $out/${h}_fuzz FILE"
    status=1
  else
    echo "kiln fuzz: $h: ${execs:-?} executions in ${seconds}s, no crash, leak or undefined behavior"
  fi
done
exit "$status"
