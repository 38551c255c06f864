#!/usr/bin/env bash
# Measures g++'s time and peak memory for the GoogLeNet declaration (examples/googlenet.cpp: shape
# checks, counts, describe and summary) and for a generated 200-layer net. Figures go in docs/dsl.md.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{
  echo '#include <kiln/dsl.hpp>'
  echo '#include <iostream>'
  echo 'using namespace kiln;'
  printf 'using Deep = Net<Input<32, 32, 16>'
  for i in $(seq 1 100); do printf ',\n  Conv<16, Kernel<3>, Same>, Relu'; done
  echo '>;'
  echo 'static_assert(Deep::layer_count == 200);'
  echo 'static_assert(Deep::output_shape == Shape{32, 32, 16});'
  echo 'int main() { print_summary(std::cout, describe<Deep>()); }'
} > "$tmp/deep200.cpp"
measure() {  # label, source, extra flags...
  local label=$1 src=$2; shift 2
  /usr/bin/time -f "%e %M" -o "$tmp/t" g++ -std=c++17 -O2 -Idsl/include -Iexamples "$@" -c "$src" -o "$tmp/o.o"
  read -r secs kib < "$tmp/t"
  printf '%-40s %6.2f s  %6.0f MiB\n' "$label" "$secs" "$(awk "BEGIN{print $kib/1024}")"
}
echo "g++ $(g++ -dumpfullversion), -O2, one core:"
measure "GoogLeNet (examples/googlenet.cpp)" examples/googlenet.cpp
measure "200-layer generated net" "$tmp/deep200.cpp"
