// A whole described net evaluated with the reference loops: reads each layer's declared attributes
// (kernel, stride, padding kind...) and calls the matching plain loop. It shares nothing with
// kiln's lowering; the padding rule is the tests' own (padding.hpp).
#pragma once

#include <stdexcept>

#include "kiln/dsl/layer_spec.hpp"
#include "kiln/dsl/overloaded.hpp"
#include "kiln/runtime/weights.hpp"
#include "reference.hpp"
#include "reference/padding.hpp"

namespace ref {

namespace detail {
inline std::vector<double> doubles(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

inline Window window_of(kiln::Padding p, long h, long w, kiln::Extent2 k, kiln::Extent2 s, kiln::Extent2 d) {
    Window g{long(k.h), long(k.w), long(s.h), long(s.w), long(d.h), long(d.w)};
    expected_pads(p.kind, h, g.kh, g.sh, g.dh, long(p.rows.begin), long(p.rows.end), g.top, g.bottom);
    expected_pads(p.kind, w, g.kw, g.sw, g.dw, long(p.cols.begin), long(p.cols.end), g.left, g.right);
    return g;
}
}  // namespace detail

// How to run the net: inference (dropout the identity, batch norm from its scale and shift), or
// training (dropout's mask for `dropout_seed`, batch norm from the batch's statistics and its
// gamma and beta; the weights then are those of the training form).
struct Mode {
    bool training = false;
    std::uint32_t dropout_seed = 0;
    double batch_norm_epsilon = 1e-5;
    int dropout_layers = 0;  // counted while running
};

inline Tensor run_layers(const std::vector<kiln::LayerSpec>& layers, const kiln::Weights& w, Tensor x, Mode& mode);

inline Tensor run_layer(const kiln::LayerSpec& l, const kiln::Weights& w, const Tensor& x, Mode& mode) {
    using namespace kiln;
    auto param = [&](const char* role) { return detail::doubles(w[l.name + "." + role]); };
    // One overload per layer kind and no catch-all: a kind without a reference does not compile.
    return std::visit(
        overloaded{
            [&](const ConvAttrs& a) {
                const auto bias = a.bias ? param("bias") : std::vector<double>{};
                return conv(x, param("weights"), a.bias ? &bias : nullptr, long(a.filters),
                            detail::window_of(a.padding, x.h, x.w, a.kernel, a.stride, a.dilation), a.flip, long(a.groups));
            },
            [&](const PoolAttrs& a) {
                Window g = detail::window_of(a.padding, x.h, x.w, a.window, a.stride, a.dilation);
                g.ceil = a.ceil_mode;
                return a.function == PoolFunction::max ? max_pool(x, g) : avg_pool(x, g, a.count_padding);
            },
            [&](const GlobalAvgPoolAttrs&) { return global_avg_pool(x); },
            [&](const GlobalMaxPoolAttrs&) { return global_max_pool(x); },
            [&](const DenseAttrs& a) {
                const auto bias = a.bias ? param("bias") : std::vector<double>{};
                return dense(x, param("weights"), a.bias ? &bias : nullptr, long(a.units));
            },
            [&](const ActivationAttrs& a) {
                switch (a.function) {
                case ActivationFunction::relu: return map(x, [](double v) { return std::max(v, 0.0); });
                case ActivationFunction::leaky_relu: return map(x, [s = a.slope](double v) { return v > 0 ? v : s * v; });
                case ActivationFunction::sigmoid: return map(x, [](double v) { return 1.0 / (1.0 + std::exp(-v)); });
                case ActivationFunction::tanh: return map(x, [](double v) { return std::tanh(v); });
                case ActivationFunction::clip:
                    return map(x, [lo = a.low, hi = a.high](double v) { return std::isnan(v) ? v : std::min(std::max(v, lo), hi); });
                case ActivationFunction::silu: return map(x, [](double v) { return v / (1.0 + std::exp(-v)); });
                case ActivationFunction::hard_sigmoid:
                    return map(x, [al = a.slope, be = a.offset](double v) { return std::isnan(v) ? v : std::min(std::max(al * v + be, 0.0), 1.0); });
                case ActivationFunction::hard_swish: return map(x, [](double v) { return v * std::min(std::max(v / 6 + 0.5, 0.0), 1.0); });
                case ActivationFunction::gelu: return map(x, [](double v) { return 0.5 * v * std::erfc(-v / std::sqrt(2.0)); });
                case ActivationFunction::gelu_tanh:
                    return map(x, [](double v) { return 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v))); });
                case ActivationFunction::mish: return map(x, [](double v) { return v * std::tanh(std::log1p(std::exp(v))); });
                }
                throw std::logic_error("reference_net: unknown activation in layer " + l.name);
            },
            [&](const BatchNormAttrs&) {
                return mode.training ? batch_norm_training(x, param("gamma"), param("beta"), mode.batch_norm_epsilon)
                                     : scale_shift(x, param("scale"), param("shift"));
            },
            [&](const DropoutAttrs& a) {
                return mode.training && a.rate() > 0 ? dropout_training(x, mode.dropout_seed, mode.dropout_layers++, a.rate()) : x;
            },
            [&](const SoftmaxAttrs& a) { return a.log ? log_softmax(x) : softmax(x); },
            [&](const LrnAttrs& a) { return lrn(x, long(a.radius), a.bias, a.alpha, a.beta); },
            [&](const ConcatAttrs&) {
                std::vector<Tensor> parts;
                for (const auto& branch : l.children) parts.push_back(run_layers(branch, w, x, mode));
                return concat(parts);
            },
            [&](const ResidualAttrs&) { return add(run_layers(l.children.at(0), w, x, mode), run_layers(l.children.at(1), w, x, mode)); },
            [&](const GateAttrs&) { return gate(x, run_layers(l.children.at(0), w, x, mode)); },
            [&](const ChannelSliceAttrs& a) { return channel_slice(x, long(a.begin), long(a.end)); },
            [&](const ChannelShuffleAttrs& a) { return channel_shuffle(x, long(a.groups)); },
            [&](const LayerNormAttrs& a) { return layer_norm(x, param("gamma"), param("beta"), a.epsilon()); },
            [&](const ChannelScaleAttrs&) { return scale_shift(x, param("gamma"), std::vector<double>(std::size_t(x.c), 0.0)); }},
        l.attrs);
}

inline Tensor run_layers(const std::vector<kiln::LayerSpec>& layers, const kiln::Weights& w, Tensor x, Mode& mode) {
    for (const auto& l : layers) x = run_layer(l, w, x, mode);
    return x;
}
inline Tensor run_layers(const std::vector<kiln::LayerSpec>& layers, const kiln::Weights& w, Tensor x) {
    Mode inference;
    return run_layers(layers, w, std::move(x), inference);
}

inline Tensor run_net(const kiln::NetSpec& net, const kiln::Weights& w, const Tensor& input, Mode mode = {}) {
    return run_layers(net.layers, w, input, mode);
}

}  // namespace ref
