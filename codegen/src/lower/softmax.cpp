// Softmax over channels, max-subtracted so exp cannot overflow.
#include <limits>

#include "lower/lower_context.hpp"

namespace kiln::codegen::detail {

using namespace Halide;

namespace {
// Up to this many channels the max and the sum are written out as expressions: a classifier head
// then has no reduction for a schedule to split (Li2018 would rfactor it into atomics Halide 14
// cannot vectorize, halide/Halide#8280).
constexpr extent_t max_unrolled_channels = 64;

// The layer's output from the input, its max and the sum of the max-subtracted exps.
Expr softmax_value(const SoftmaxAttrs& a, Expr in, Expr mx, Expr exp_value, Expr sum) {
    return a.log ? (in - mx) - log(sum) : exp_value / sum;
}

LayerStages unrolled_softmax(const LayerInput& li, const SoftmaxAttrs& a, int channels) {
    const Var &c = li.net.c, &x = li.net.x, &y = li.net.y, &n = li.net.n;
    Expr mx_value = li.in(0, x, y, n);
    for (int k = 1; k < channels; ++k) mx_value = max(mx_value, li.in(k, x, y, n));
    Func mx(li.name("max"));
    mx(x, y, n) = mx_value;
    Func e(li.name("exp"));
    e(c, x, y, n) = exp(li.in(c, x, y, n) - mx(x, y, n));
    Expr sum_value = e(0, x, y, n);
    for (int k = 1; k < channels; ++k) sum_value += e(k, x, y, n);
    Func sum(li.name("sum"));
    sum(x, y, n) = sum_value;
    Func out(li.name(a.log ? "log_softmax" : "softmax"));
    out(c, x, y, n) = softmax_value(a, li.in(c, x, y, n), mx(x, y, n), e(c, x, y, n), sum(x, y, n));
    LayerStages s;
    s.funcs = {mx, e, sum, out};
    s.output = out;
    return s;
}
}  // namespace

LayerStages lower_softmax(const LayerInput& li, const SoftmaxAttrs& a) {
    const Shape in = li.spec.in;
    if (in.c <= max_unrolled_channels) return unrolled_softmax(li, a, int(in.c));
    const Var &c = li.net.c, &x = li.net.x, &y = li.net.y, &n = li.net.n;
    RDom r(0, int(in.c), li.name("r"));
    Func mx(li.name("max"));
    mx(x, y, n) = -std::numeric_limits<float>::infinity();
    mx(x, y, n) = max(mx(x, y, n), li.in(r, x, y, n));
    Func e(li.name("exp"));
    e(c, x, y, n) = exp(li.in(c, x, y, n) - mx(x, y, n));
    Func sum(li.name("sum"));
    sum(x, y, n) = 0.0f;
    sum(x, y, n) += e(r, x, y, n);
    Func out(li.name(a.log ? "log_softmax" : "softmax"));
    out(c, x, y, n) = softmax_value(a, li.in(c, x, y, n), mx(x, y, n), e(c, x, y, n), sum(x, y, n));
    LayerStages s;
    s.funcs = {mx, e, sum, out};
    s.rdoms = {r};
    s.output = out;
    return s;
}

}  // namespace kiln::codegen::detail
