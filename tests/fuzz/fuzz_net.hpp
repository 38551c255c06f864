// The net the safetensors harness reads weights for, shared with the seed corpus generator: a conv
// with a rectangular kernel and bias, then a dense layer over its flattened output, so that both
// PyTorch index conversions (OIHW conv, NCHW-flattened Linear) are exercised.
#pragma once

#include <map>
#include <string>

#include "kiln/dsl.hpp"

namespace fuzz {

using Net = kiln::Net<kiln::Input<4, 3, 2>, kiln::Conv<5, kiln::Kernel<3, 2>, kiln::Same>, kiln::Relu, kiln::Dense<6>>;

// kiln name -> the name a PyTorch state dict would give it.
inline std::map<std::string, std::string> pytorch_names() {
    return {{"l1_conv.weights", "features.0.weight"}, {"l1_conv.bias", "features.0.bias"},
            {"l3_dense.weights", "classifier.weight"}, {"l3_dense.bias", "classifier.bias"}};
}

}  // namespace fuzz
