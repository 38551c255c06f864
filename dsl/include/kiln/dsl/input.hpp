// Input<H, W, C>: a net's first layer, the shape of one example (rows, columns, channels). The batch
// is a run-time extent. Tensors are stored NHWC (channels fastest), which Halide sees as dims
// (c, x, y, n).
#pragma once

#include "kiln/dsl/simple_layer.hpp"

namespace kiln {

struct InputAttrs {
    static constexpr const char* kind = "input";
    Shape shape{};
    // Used as a layer after position 0, an Input is an error.
    constexpr Check check(Shape, bool) const { return fail(Rule::input_not_first); }
    constexpr Check check_as_first() const {
        if (shape.h < 1 || shape.w < 1 || shape.c < 1) return fail(Rule::input_extent_below_1, shape.h, shape.w, shape.c);
        return check_ok();
    }
    constexpr Shape output(Shape) const { return shape; }
    constexpr ParamShapes param_shapes(Shape) const { return no_params(); }
    constexpr extent_t macs(Shape) const { return 0; }
};

template <extent_t H, extent_t W, extent_t C>
struct Input : simple_layer<Input<H, W, C>, accepts<>> {
    static constexpr InputAttrs attrs{Shape{H, W, C}};
    static constexpr Shape shape{H, W, C};
};

}  // namespace kiln
