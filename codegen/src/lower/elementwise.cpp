// Element-wise layers: activations, batch norm, layer norm, channel scale, dropout; batch norm and dropout in
// inference or training form.
#include <cmath>

#include "kiln/codegen/training_form.hpp"
#include "lower/lower_context.hpp"

namespace kiln::codegen::detail {

using namespace Halide;

namespace {
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
    // clamp's x86 min and max would turn a NaN into a bound.
    case ActivationFunction::clip: out = select(is_nan_bits(v), v, clamp(v, float(a.low), float(a.high))); break;
    case ActivationFunction::silu: out = v / (1.0f + exp(-v)); break;
    case ActivationFunction::hard_sigmoid:
        out = select(is_nan_bits(v), v, clamp(float(a.slope) * v + float(a.offset), 0.0f, 1.0f));
        break;
    // PyTorch's form, x * relu6(x + 3) / 6; a NaN x stays NaN through the product.
    case ActivationFunction::hard_swish: out = v * clamp(v + 3.0f, 0.0f, 6.0f) / 6.0f; break;
    case ActivationFunction::gelu: out = 0.5f * v * (1.0f + erf(v * float(M_SQRT1_2))); break;
    case ActivationFunction::gelu_tanh: {
        const float k = float(std::sqrt(2.0 / M_PI));
        out = 0.5f * v * (1.0f + tanh(k * (v + 0.044715f * v * v * v)));
        break;
    }
    // softplus(v) = max(v, 0) + log(1 + exp(-|v|)): no overflow for large v.
    case ActivationFunction::mish: out = v * tanh(max(v, 0.0f) + log(1.0f + exp(-abs(v)))); break;
    }
    Func f(li.name(a.name()));
    f(c, x, y, n) = out;
    return single(f);
}

namespace {
// lowbias32 (dsl/dropout.hpp): a bijective integer hash whose output bits all depend on every input bit.
Expr mix32(Expr v) {
    v = v ^ (v >> 16);
    v = v * Expr(uint32_t(0x7feb352d));
    v = v ^ (v >> 15);
    v = v * Expr(uint32_t(0x846ca68b));
    return v ^ (v >> 16);
}

// Training form: normalized with the batch's mean and biased variance over (x, y, n), then scaled
// by gamma and shifted by beta. The statistics are Funcs of their own, so the trainer reads them
// out to update the running ones and the autodiff carries the gradient through them.
LayerStages lower_batch_norm_training(const LayerInput& li) {
    const Var &c = li.net.c, &x = li.net.x, &y = li.net.y, &n = li.net.n;
    const Shape in = li.spec.in;
    Expr batch = li.net.input.dim(3).extent();
    RDom r(0, int(in.w), 0, int(in.h), 0, batch, li.name("over_batch"));
    Expr count = cast<float>(batch * int(in.w * in.h));
    Func sum(li.name("sum")), mean(li.name("mean")), squares(li.name("squares")), variance(li.name("variance"));
    sum(c) = 0.0f;
    sum(c) += li.in(c, r.x, r.y, r.z);
    mean(c) = sum(c) / count;
    squares(c) = 0.0f;
    Expr centered = li.in(c, r.x, r.y, r.z) - mean(c);
    squares(c) += centered * centered;
    variance(c) = squares(c) / count;
    Func f(li.name("bn"));
    f(c, x, y, n) = (li.in(c, x, y, n) - mean(c)) * (li.param("gamma")(c) / sqrt(variance(c) + batch_norm_epsilon)) +
                    li.param("beta")(c);
    li.net.batch_statistics.push_back({li.spec.name, int(in.c), int(in.w * in.h), mean, variance});
    LayerStages s = single(f);
    s.funcs = {sum, mean, squares, variance, f};
    s.rdoms = {r};
    return s;
}
}  // namespace

LayerStages lower_batch_norm(const LayerInput& li, const BatchNormAttrs&) {
    if (li.net.training) return lower_batch_norm_training(li);
    const Var &c = li.net.c, &x = li.net.x, &y = li.net.y, &n = li.net.n;
    Func f(li.name("bn"));
    f(c, x, y, n) = li.in(c, x, y, n) * li.param("scale")(c) + li.param("shift")(c);
    return single(f);
}

// Per pixel over its channels: the mean, then the biased variance of the centred values (two
// passes: one pass's E[x^2] - E[x]^2 cancels badly when the mean is large).
LayerStages lower_layer_norm(const LayerInput& li, const LayerNormAttrs& a) {
    const Var &c = li.net.c, &x = li.net.x, &y = li.net.y, &n = li.net.n;
    const int channels = int(li.spec.in.c);
    RDom r(0, channels, li.name("over_channels"));
    Func sum(li.name("sum")), squares(li.name("squares")), f(li.name("ln"));
    sum(x, y, n) = 0.0f;
    sum(x, y, n) += li.in(r, x, y, n);
    Expr mean = sum(x, y, n) / float(channels);
    squares(x, y, n) = 0.0f;
    Expr centred = li.in(r, x, y, n) - mean;
    squares(x, y, n) += centred * centred;
    Expr inverse_deviation = 1.0f / sqrt(squares(x, y, n) / float(channels) + float(a.epsilon()));
    f(c, x, y, n) = (li.in(c, x, y, n) - mean) * inverse_deviation * li.param("gamma")(c) + li.param("beta")(c);
    LayerStages s = single(f);
    s.funcs = {sum, squares, f};
    s.rdoms = {r};
    return s;
}

LayerStages lower_channel_scale(const LayerInput& li, const ChannelScaleAttrs&) {
    const Var &c = li.net.c, &x = li.net.x, &y = li.net.y, &n = li.net.n;
    Func f(li.name("scaled"));
    f(c, x, y, n) = li.in(c, x, y, n) * li.param("gamma")(c);
    return single(f);
}

// Identity at inference; in training the counter-based mask of dsl/dropout.hpp.
LayerStages lower_dropout(const LayerInput& li, const DropoutAttrs& a) {
    const Var &c = li.net.c, &x = li.net.x, &y = li.net.y, &n = li.net.n;
    const double kept = 1.0 - a.rate();
    const double threshold = std::round(kept * 4294967296.0);
    if (!li.net.training || threshold >= 4294967296.0) {
        Func f(li.name("identity"));
        f(c, x, y, n) = li.in(c, x, y, n);
        return single(f);
    }
    const int ordinal = li.net.dropout_layers++;
    const Shape in = li.spec.in;
    Expr index = cast<uint32_t>(((n * int(in.h) + y) * int(in.w) + x) * int(in.c) + c);
    Expr key = mix32(li.net.dropout_seed ^ mix32(Expr(uint32_t(ordinal + 1))));
    Expr keep = mix32(index * Expr(uint32_t(0x9E3779B9u)) + key) < Expr(uint32_t(threshold));
    // The mask its own stage (funcs[0]), which the backward pass multiplies the gradient by.
    Func mask(li.name("dropout_mask")), f(li.name("dropout"));
    mask(c, x, y, n) = select(keep, float(1.0 / kept), 0.0f);
    f(c, x, y, n) = li.in(c, x, y, n) * mask(c, x, y, n);
    LayerStages s = single(f);
    s.funcs = {mask, f};
    return s;
}

}  // namespace kiln::codegen::detail
