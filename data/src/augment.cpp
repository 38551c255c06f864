// See augment.hpp.
#include "kiln/data/augment.hpp"

#include <utility>

namespace kiln::data {

namespace {
// splitmix64's finalizer: every output bit depends on every input bit.
std::uint64_t mix64(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
}  // namespace

std::size_t random_horizontal_flips(Tensor& batch, std::uint64_t seed, std::uint64_t counter) {
    const Shape s = batch.shape();
    std::size_t flipped = 0;
    for (extent_t b = 0; b < batch.batch(); ++b) {
        if (mix64(mix64(seed ^ mix64(counter + 0x9e3779b97f4a7c15ull)) + std::uint64_t(b)) & 1) continue;
        ++flipped;
        for (extent_t y = 0; y < s.h; ++y)
            for (extent_t x = 0; x < s.w / 2; ++x)
                for (extent_t c = 0; c < s.c; ++c) std::swap(batch(b, y, x, c), batch(b, y, s.w - 1 - x, c));
    }
    return flipped;
}

}  // namespace kiln::data
