#!/usr/bin/env bash
# CTest aot.cache_shared_by_two_builds: two generators fill one AOT cache at once, as a parallel
# build does. Both must succeed and leave only whole objects in the cache: every object there and
# every kernel they link reads as a complete ELF file, and each kernel defines the entry points
# (<symbol>, _argv, _metadata) of a third generated alone afterwards from what they cached. Not byte
# for byte: Halide numbers internal names per process (output, output$1), so two builds that both
# compiled a pipeline may differ in those.
#   cache_concurrent.sh GENERATOR WORK_DIR
set -euo pipefail
generator=$1 work=$2
rm -rf "$work" && mkdir -p "$work/a" "$work/b" "$work/c"
echo "kiln code generator under test" > "$work/identity"
args=(--name shared --schedule fused --target x86-64-linux-avx-avx2-f16c-fma-sse41,x86-64-linux --linker ld
      --cache "$work/cache" --cache-identity "$work/identity")
"$generator" "${args[@]}" --out "$work/a" > "$work/a.log" 2>&1 & a=$!
"$generator" "${args[@]}" --out "$work/b" > "$work/b.log" 2>&1 & b=$!
status=0
wait $a || { echo "cache_concurrent: the first generator failed"; cat "$work/a.log"; status=1; }
wait $b || { echo "cache_concurrent: the second generator failed"; cat "$work/b.log"; status=1; }
[ $status = 0 ] || exit 1
"$generator" "${args[@]}" --out "$work/c" > "$work/c.log" 2>&1 || { cat "$work/c.log"; exit 1; }
leftovers=$(find "$work/cache" -type f ! -name '*.o')
[ -z "$leftovers" ] || { echo "cache_concurrent: temporaries left in the cache: $leftovers"; exit 1; }
whole() {  # a complete ELF object: its section table (at the end of the file) reads without a complaint
  local out
  out=$(readelf -S -W "$1" 2>&1) && ! grep -qiE 'warning|error|truncated' <<< "$out" ||
    { echo "cache_concurrent: $1 is not a whole object: $out" | head -5; exit 1; }
}
entry_points() { nm --defined-only "$1" | awk '{print $3}' | grep -E '^shared_[0-9a-f]+(_argv|_metadata)?$' | sort; }
for f in "$work"/cache/*.o; do whole "$f"; done
for f in "$work"/c/*.o; do
  name=$(basename "$f")
  functions=$(entry_points "$f")
  for build in a b; do
    whole "$work/$build/$name"
    [ "$(entry_points "$work/$build/$name")" = "$functions" ] ||
      { echo "cache_concurrent: $build/$name does not define the entry points the kernel generated after does"; exit 1; }
  done
done
cmp -s "$work/c/shared.cpp" "$work/a/shared.cpp" && cmp -s "$work/c/shared.cpp" "$work/b/shared.cpp" ||
  { echo "cache_concurrent: the drivers differ"; exit 1; }
echo "cache_concurrent: two generators shared $(ls "$work/cache" | wc -l) cached objects, all whole; their kernels define the entry points of the one generated after"
