// Batch normalization helpers: inference scale/shift from trained statistics, and folding a
// BatchNorm into the convolution before it (weights and bias rewritten, the BatchNorm becomes identity).
#pragma once

#include <vector>

#include "kiln/runtime/weights.hpp"

namespace kiln {

// scale = gamma / sqrt(var + eps), shift = beta - mean * scale, per channel.
void batch_norm_scale_shift(const std::vector<float>& gamma, const std::vector<float>& beta,
                            const std::vector<float>& mean, const std::vector<float>& var, float eps,
                            std::vector<float>& scale, std::vector<float>& shift);

// conv(x) * scale + shift == conv'(x) with w'[.., o] = w[.., o] * scale[o], b'[o] = b[o] * scale[o] + shift[o].
// `conv` names the conv layer ("l1_conv"), which must have a bias; `bn` the BatchNorm ("l2_batch_norm").
// Afterwards the BatchNorm's scale is 1 and shift 0, so the net computes the same function.
void fold_batch_norm(Weights& weights, const std::string& conv, const std::string& bn);

}  // namespace kiln
