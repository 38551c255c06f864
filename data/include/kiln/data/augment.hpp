// Training-time augmentation of a batch, reproducible per seed: which examples change is a
// counter-based hash of (seed, counter, example), so a run and a resumed run see the same batches.
#pragma once

#include <cstdint>

#include "kiln/runtime/tensor.hpp"

namespace kiln::data {

// Mirrors each example of `batch` left to right with probability 1/2; returns how many it mirrored.
// `counter` tells batches apart (e.g. the training step).
std::size_t random_horizontal_flips(Tensor& batch, std::uint64_t seed, std::uint64_t counter);

}  // namespace kiln::data
