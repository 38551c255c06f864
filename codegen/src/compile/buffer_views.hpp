// Halide views of kiln's memory, no copies: a tensor as dims (c, x, y, n), a learned tensor with
// its ParamSpec's dims. What the JIT net and the training net hand their pipelines.
#pragma once

#include <Halide.h>

#include <vector>

#include "kiln/dsl/layer_spec.hpp"
#include "kiln/runtime/tensor.hpp"

namespace kiln::codegen::detail {

inline Halide::Buffer<float> tensor_view(const Tensor& t) {
    const Shape s = t.shape();
    return Halide::Buffer<float>(const_cast<float*>(t.data()), {int(s.c), int(s.w), int(s.h), int(t.batch())});
}

inline Halide::Buffer<float> param_view(const std::vector<float>& values, const ParamSpec& p) {
    std::vector<int> dims(p.dims.begin(), p.dims.end());
    return Halide::Buffer<float>(const_cast<float*>(values.data()), dims);
}

}  // namespace kiln::codegen::detail
