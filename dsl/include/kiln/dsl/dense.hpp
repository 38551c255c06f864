// Dense (fully connected): Dense<Units, Options...>. Flattens its H x W x C input in row-major NHWC
// order, flat = (y * W + x) * C + c, and gives 1 x 1 x Units:
//   out[u] = bias[u] + sum_flat in[flat] * weights[flat][u]
// Learned tensors: weights, dims {Units, H*W*C} (memory [in][out], TensorFlow's Dense kernel);
// bias, dims {Units}. A PyTorch nn.Linear weight is [out][in] over NCHW-flattened input: both the
// transpose and the flatten order differ (the weight loader converts).
#pragma once

#include "kiln/dsl/simple_layer.hpp"

namespace kiln {

struct DenseAttrs {
    static constexpr const char* kind = "dense";
    extent_t units = 0;
    bool bias = true;

    constexpr Check check(Shape, bool) const {
        if (units < 1) return fail(Rule::zero_units, units);
        return check_ok();
    }
    constexpr Shape output(Shape) const { return Shape{1, 1, units}; }
    constexpr ParamShapes param_shapes(Shape in) const {
        const ParamShape w = param2("weights", "IO", units, in.elements());
        return bias ? params_of(w, param1("bias", "O", units)) : params_of(w);
    }
    constexpr extent_t macs(Shape in) const { return in.elements() * units; }
};

template <extent_t Units, class... Options>
struct Dense : simple_layer<Dense<Units, Options...>, accepts<category::bias>, Options...> {
    static constexpr DenseAttrs attrs{Units, detail::option_or<category::bias, bool, Options...>(true)};
};

}  // namespace kiln
