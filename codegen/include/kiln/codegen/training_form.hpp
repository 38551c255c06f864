// The training form of a net's weights. Most layers train the tensors inference reads; batch norm
// does not: inference applies one affine map per channel (scale, shift), while training learns
// gamma and beta, normalizes with each batch's statistics and keeps running ones. So a net with
// batch norm trains weights of its training form, and inference_weights() folds them:
//   scale = gamma / sqrt(running_var + eps),   shift = beta - running_mean * scale.
// Weights of the training form carry its own signature, so passing them to an inference kernel is
// an error ("made for another net"), never a wrong answer.
#pragma once

#include "kiln/dsl/layer_spec.hpp"
#include "kiln/runtime/weights.hpp"

namespace kiln::codegen {

// PyTorch's defaults: the epsilon added to the variance, and how far one batch moves the running
// statistics (running = (1 - momentum) * running + momentum * batch; the unbiased variance).
constexpr float batch_norm_epsilon = 1e-5f;
constexpr float batch_norm_momentum = 0.1f;

// `net` with each BatchNorm layer's tensors replaced by gamma, beta (learned) and running_mean,
// running_var (not learned), all {C}. A net without batch norm is returned as it is.
NetSpec training_form(const NetSpec& net);

// Fresh training weights: Weights::fill_random for the learned tensors, then gamma 1, beta 0,
// running mean 0 and running variance 1 (an identity batch norm before any statistics).
Weights initial_training_weights(const NetSpec& net, std::uint64_t seed);

// Weights for the inference net from weights of its training form (the batch norm fold above).
// Throws kiln::Error if `trained` does not fit training_form(net).
Weights inference_weights(const NetSpec& net, const Weights& trained);

}  // namespace kiln::codegen
