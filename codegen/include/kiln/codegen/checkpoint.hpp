// A training checkpoint: the weights and the optimizer's state in one safetensors file, so a run
// stopped can go on exactly where it was. The state's tensors are named after the weights
// ("l1_conv.weights.momentum", "optimizer.step"; optimizer.hpp). Weights for inference alone are
// saved with save_safetensors (runtime/safetensors.hpp); a checkpoint holds more tensors than a
// net's weights file may, so load it with load_checkpoint.
#pragma once

#include <string>

#include "kiln/codegen/optimizer.hpp"
#include "kiln/dsl/layer_spec.hpp"
#include "kiln/runtime/weights.hpp"

namespace kiln::codegen {

struct Checkpoint {
    Weights weights;
    OptimizerState state;
};

void save_checkpoint(const std::string& path, const Weights& weights, const OptimizerState& state);

// Reads a checkpoint saved for `net` with `optimizer` (its kind decides which state tensors must be
// there). Every check of load_safetensors applies, to the state's tensors too.
Checkpoint load_checkpoint(const std::string& path, const NetSpec& net, const Optimizer& optimizer);

}  // namespace kiln::codegen
