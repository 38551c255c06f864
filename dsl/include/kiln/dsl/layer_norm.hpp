// LayerNorm<Epsilon>: each pixel's channels normalized to mean 0 and variance 1, then scaled and
// shifted per channel -- ConvNeXt's LayerNorm over channels (PyTorch's nn.LayerNorm(C) on a
// channels-last tensor):
//   out[c] = (in[c] - mean) / sqrt(var + epsilon) * gamma[c] + beta[c]
// with mean and the biased variance over the pixel's C channels. Epsilon a std::ratio (PyTorch's
// default 1e-5; ConvNeXt's 1e-6). Learned tensors: gamma {C}, beta {C}.
#pragma once

#include "kiln/dsl/simple_layer.hpp"

namespace kiln {

struct LayerNormAttrs {
    static constexpr const char* kind = "layer_norm";
    extent_t epsilon_num = 1, epsilon_den = 100000;
    constexpr double epsilon() const { return double(epsilon_num) / double(epsilon_den); }
    constexpr Check check(Shape, bool) const {
        if (epsilon_den <= 0 || epsilon_num <= 0) return fail(Rule::ratio_out_of_range, epsilon_num, epsilon_den);
        return check_ok();
    }
    constexpr Shape output(Shape in) const { return in; }
    constexpr ParamShapes param_shapes(Shape in) const { return params_of(param1("gamma", "C", in.c), param1("beta", "C", in.c)); }
    constexpr extent_t macs(Shape in) const { return in.elements(); }
};

template <class Epsilon = std::ratio<1, 100000>>
struct LayerNorm : simple_layer<LayerNorm<Epsilon>, accepts<>> {
    static constexpr LayerNormAttrs attrs{Epsilon::num, Epsilon::den};
};

}  // namespace kiln
