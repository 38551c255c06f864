// Batch normalization in its inference form: out[c] = in[c] * scale[c] + shift[c], where a trained
// model's gamma, beta, running mean and variance give scale = gamma / sqrt(var + eps) and
// shift = beta - mean * scale (runtime/batch_norm.hpp computes them). Because it is affine per
// channel it folds into a preceding convolution: runtime's fold_batch_norm rewrites that conv's
// weights and bias so the BatchNorm layer can be dropped. Learned tensors: scale {C}, shift {C}.
// Training (codegen/training_form.hpp) learns gamma and beta instead, normalizing with the batch's
// statistics and keeping running ones, and folds them into scale and shift for inference.
#pragma once

#include "kiln/dsl/simple_layer.hpp"

namespace kiln {

struct BatchNormAttrs {
    static constexpr const char* kind = "batch_norm";
    constexpr Check check(Shape, bool) const { return check_ok(); }
    constexpr Shape output(Shape in) const { return in; }
    constexpr ParamShapes param_shapes(Shape in) const {
        return params_of(param1("scale", "C", in.c), param1("shift", "C", in.c));
    }
    constexpr extent_t macs(Shape in) const { return in.elements(); }
};

struct BatchNorm : simple_layer<BatchNorm, accepts<>> {
    static constexpr BatchNormAttrs attrs{};
};

}  // namespace kiln
