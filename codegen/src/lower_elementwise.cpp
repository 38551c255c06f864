// Element-wise layers: activations, inference batch norm, dropout (identity).
#include "lower_context.hpp"

namespace kiln::codegen::detail {

using namespace Halide;

namespace {
LayerStages single(Func f) {
    LayerStages s;
    s.funcs = {f};
    s.output = f;
    return s;
}
// max(v, 0), but a NaN stays NaN as in PyTorch: x86's max returns its second operand when either
// is NaN, and Halide simplifies select(v < 0, 0, v) to that max. Tested on the bits instead: the
// numbers to clear are those whose bits, as a signed integer, are at most -infinity's (negative
// NaNs lie above it), one integer compare per vector.
Expr relu_keeping_nan(Expr v) {
    return select(reinterpret<int32_t>(v) <= int32_t(0xff800000u), 0.0f, v);
}

}  // namespace

LayerStages lower_activation(const LayerInput& li, const ActivationAttrs& a) {
    const Var &c = li.net.c, &x = li.net.x, &y = li.net.y, &n = li.net.n;
    Expr v = li.in(c, x, y, n);
    Expr out;
    switch (a.function) {
    case ActivationFunction::relu: out = relu_keeping_nan(v); break;
    case ActivationFunction::leaky_relu: out = select(v > 0.0f, v, float(a.slope) * v); break;
    case ActivationFunction::sigmoid: out = 1.0f / (1.0f + exp(-v)); break;
    case ActivationFunction::tanh: out = tanh(v); break;
    }
    Func f(li.name(a.name()));
    f(c, x, y, n) = out;
    return single(f);
}

LayerStages lower_batch_norm(const LayerInput& li, const BatchNormAttrs&) {
    const Var &c = li.net.c, &x = li.net.x, &y = li.net.y, &n = li.net.n;
    Func f(li.name("bn"));
    f(c, x, y, n) = li.in(c, x, y, n) * li.param("scale")(c) + li.param("shift")(c);
    return single(f);
}

LayerStages lower_dropout(const LayerInput& li, const DropoutAttrs&) {
    const Var &c = li.net.c, &x = li.net.x, &y = li.net.y, &n = li.net.n;
    Func f(li.name("identity"));
    f(c, x, y, n) = li.in(c, x, y, n);
    return single(f);
}

}  // namespace kiln::codegen::detail
