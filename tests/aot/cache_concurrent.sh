#!/usr/bin/env bash
# CTest aot.cache_shared_by_two_builds: two generators fill one AOT cache at once, as a parallel
# build does. Both must succeed, leave no temporary in the cache, and write kernels byte-identical
# to a third generated alone afterwards from what they cached (so neither used a torn object).
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
for f in "$work"/c/*.o "$work"/c/shared.cpp; do
  name=$(basename "$f")
  cmp -s "$f" "$work/a/$name" && cmp -s "$f" "$work/b/$name" ||
    { echo "cache_concurrent: $name differs between the builds that shared the cache and the one after"; exit 1; }
done
echo "cache_concurrent: two generators shared $(ls "$work/cache" | wc -l) cached objects; their kernels equal the one generated after"
