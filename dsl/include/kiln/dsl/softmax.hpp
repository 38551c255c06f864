// Softmax over channels, at every row and column: out[c] = exp(in[c] - max) / sum_c' exp(in[c'] - max).
// (Subtracting the max keeps exp from overflowing; the result is the same.) LogSoftmax gives its
// logarithm, (in[c] - max) - log(sum_c' exp(in[c'] - max)), without the rounding of a log of a
// quotient (ONNX's and PyTorch's LogSoftmax). Shape unchanged. Either may end a net that is
// trained: the loss is cross-entropy on the layer's input in both.
#pragma once

#include "kiln/dsl/simple_layer.hpp"

namespace kiln {

struct SoftmaxAttrs {
    static constexpr const char* kind = "softmax";
    bool log = false;
    constexpr Check check(Shape, bool) const { return check_ok(); }
    constexpr Shape output(Shape in) const { return in; }
    constexpr ParamShapes param_shapes(Shape) const { return no_params(); }
    constexpr extent_t macs(Shape) const { return 0; }
};

struct Softmax : simple_layer<Softmax, accepts<>> {
    static constexpr SoftmaxAttrs attrs{};
};

struct LogSoftmax : simple_layer<LogSoftmax, accepts<>> {
    static constexpr SoftmaxAttrs attrs{true};
};

}  // namespace kiln
