// Plain-loop backward reference: the gradient of the mean softmax cross-entropy with respect to
// every learned tensor of a described net in its training form, in double. Each layer kind's
// adjoint is written out from its forward loop in reference.hpp (the same loops, accumulating
// into the input and the weights instead of the output); nothing is shared with kiln's backward
// pass (codegen/src/train/backward.cpp) or with Halide's autodiff.
//
// Max pool sends a window's gradient to its first largest tap in (ky, kx) order. Ties need equal
// inputs, which random data gives only as the zeros of a ReLU, whose own adjoint then drops them.
#pragma once

#include <map>
#include <string>

#include "reference_net.hpp"

namespace ref {

using Gradients = std::map<std::string, std::vector<double>>;

namespace backward {

// What one layer's adjoint needs from the forward pass: its input, its output, the dropout ordinal
// it drew, and the traces of a residual's or concat's branches.
struct Trace {
    Tensor in, out;
    int dropout_ordinal = -1;
    std::vector<std::vector<Trace>> branches;
};

inline std::vector<Trace> forward(const std::vector<kiln::LayerSpec>& layers, const kiln::Weights& w, Tensor x, Mode& mode);

inline Trace forward_layer(const kiln::LayerSpec& l, const kiln::Weights& w, const Tensor& x, Mode& mode) {
    Trace t;
    t.in = x;
    if (!l.children.empty()) {
        std::vector<Tensor> outs;
        for (const auto& branch : l.children) {
            t.branches.push_back(forward(branch, w, x, mode));
            outs.push_back(t.branches.back().empty() ? x : t.branches.back().back().out);
        }
        t.out = std::holds_alternative<kiln::ConcatAttrs>(l.attrs)   ? concat(outs)
                : std::holds_alternative<kiln::GateAttrs>(l.attrs) ? gate(x, outs.at(0))
                                                                   : add(outs.at(0), outs.at(1));
        return t;
    }
    if (std::holds_alternative<kiln::DropoutAttrs>(l.attrs)) t.dropout_ordinal = mode.dropout_layers;
    t.out = run_layer(l, w, x, mode);
    return t;
}

inline std::vector<Trace> forward(const std::vector<kiln::LayerSpec>& layers, const kiln::Weights& w, Tensor x, Mode& mode) {
    std::vector<Trace> traces;
    for (const auto& l : layers) {
        traces.push_back(forward_layer(l, w, x, mode));
        x = traces.back().out;
    }
    return traces;
}

inline void accumulate(std::vector<double>& into, const std::vector<double>& add) {
    if (into.empty()) into.assign(add.size(), 0.0);
    for (std::size_t i = 0; i < add.size(); ++i) into[i] += add[i];
}

inline Tensor conv(const Tensor& x, const Tensor& dy, const std::vector<double>& weights, const kiln::ConvAttrs& a,
                   std::vector<double>& dw, std::vector<double>* db) {
    const Window g = detail::window_of(a.padding, x.h, x.w, a.kernel, a.stride, a.dilation);
    const long filters = dy.c, group_in = x.c / long(a.groups), group_out = filters / long(a.groups);
    Tensor dx(x.n, x.h, x.w, x.c);
    dw.assign(weights.size(), 0.0);
    if (db) db->assign(std::size_t(filters), 0.0);
    for (long b = 0; b < x.n; ++b)
        for (long oy = 0; oy < dy.h; ++oy)
            for (long ox = 0; ox < dy.w; ++ox)
                for (long o = 0; o < filters; ++o) {
                    const double d = dy.at(b, oy, ox, o);
                    if (db) (*db)[std::size_t(o)] += d;
                    for (long ky = 0; ky < g.kh; ++ky)
                        for (long kx = 0; kx < g.kw; ++kx) {
                            const long iy = oy * g.sh - g.top + ky * g.dh, ix = ox * g.sw - g.left + kx * g.dw;
                            if (iy < 0 || iy >= x.h || ix < 0 || ix >= x.w) continue;  // a padding tap
                            const long wy = a.flip ? g.kh - 1 - ky : ky, wx = a.flip ? g.kw - 1 - kx : kx;
                            for (long i = 0; i < group_in; ++i) {
                                const std::size_t wi = std::size_t(((wy * g.kw + wx) * group_in + i) * filters + o);
                                const long k = o / group_out * group_in + i;  // the input channel of o's group
                                dx.at(b, iy, ix, k) += weights[wi] * d;
                                dw[wi] += x.at(b, iy, ix, k) * d;
                            }
                        }
                }
    return dx;
}

inline Tensor pool(const Tensor& x, const Tensor& dy, const kiln::PoolAttrs& a) {
    Window g = detail::window_of(a.padding, x.h, x.w, a.window, a.stride, a.dilation);
    g.ceil = a.ceil_mode;
    Tensor dx(x.n, x.h, x.w, x.c);
    for (long b = 0; b < x.n; ++b)
        for (long oy = 0; oy < dy.h; ++oy)
            for (long ox = 0; ox < dy.w; ++ox)
                for (long k = 0; k < x.c; ++k) {
                    long inside = 0, best_y = -1, best_x = -1;
                    for (long ky = 0; ky < g.kh; ++ky)
                        for (long kx = 0; kx < g.kw; ++kx) {
                            const long y = oy * g.sh - g.top + ky * g.dh, xx = ox * g.sw - g.left + kx * g.dw;
                            if (y < 0 || y >= x.h || xx < 0 || xx >= x.w) continue;
                            ++inside;
                            if (best_y < 0 || x.at(b, y, xx, k) > x.at(b, best_y, best_x, k)) best_y = y, best_x = xx;
                        }
                    const double d = dy.at(b, oy, ox, k);
                    if (a.function == kiln::PoolFunction::max) {
                        if (best_y >= 0) dx.at(b, best_y, best_x, k) += d;  // a window of padding alone passes nothing back
                        continue;
                    }
                    const long window = taps_in(oy * g.sh - g.top, g.kh, g.dh, -g.top, x.h + g.bottom) *
                                        taps_in(ox * g.sw - g.left, g.kw, g.dw, -g.left, x.w + g.right);
                    const double share = d / double(a.count_padding ? window : inside);
                    for (long ky = 0; ky < g.kh; ++ky)
                        for (long kx = 0; kx < g.kw; ++kx) {
                            const long y = oy * g.sh - g.top + ky * g.dh, xx = ox * g.sw - g.left + kx * g.dw;
                            if (y >= 0 && y < x.h && xx >= 0 && xx < x.w) dx.at(b, y, xx, k) += share;
                        }
                }
    return dx;
}

inline Tensor dense(const Tensor& x, const Tensor& dy, const std::vector<double>& weights, std::vector<double>& dw,
                    std::vector<double>* db) {
    const long flat = x.h * x.w * x.c, units = dy.c;
    Tensor dx(x.n, x.h, x.w, x.c);
    dw.assign(weights.size(), 0.0);
    if (db) db->assign(std::size_t(units), 0.0);
    for (long b = 0; b < x.n; ++b)
        for (long u = 0; u < units; ++u) {
            const double d = dy.at(b, 0, 0, u);
            if (db) (*db)[std::size_t(u)] += d;
            for (long f = 0; f < flat; ++f) {
                dx.v[std::size_t(b * flat + f)] += weights[std::size_t(f * units + u)] * d;
                dw[std::size_t(f * units + u)] += x.v[std::size_t(b * flat + f)] * d;
            }
        }
    return dx;
}

// d/dx of the activations whose derivative is not a function of their output alone.
inline double activation_slope(const kiln::ActivationAttrs& a, double v) {
    const double sig = 1 / (1 + std::exp(-v));
    switch (a.function) {
    case kiln::ActivationFunction::silu: return sig * (1 + v * (1 - sig));
    case kiln::ActivationFunction::hard_sigmoid: {
        const double t = a.slope * v + a.offset;
        return t > 0 && t < 1 ? a.slope : 0.0;
    }
    case kiln::ActivationFunction::hard_swish: return v < -3 ? 0.0 : v > 3 ? 1.0 : v / 3 + 0.5;
    case kiln::ActivationFunction::gelu: return 0.5 * std::erfc(-v / std::sqrt(2.0)) + v * std::exp(-v * v / 2) / std::sqrt(2 * M_PI);
    case kiln::ActivationFunction::gelu_tanh: {
        const double k = std::sqrt(2 / M_PI), u = k * (v + 0.044715 * v * v * v), t = std::tanh(u);
        return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * k * (1 + 3 * 0.044715 * v * v);
    }
    case kiln::ActivationFunction::mish: {
        const double sp = std::log1p(std::exp(v)), t = std::tanh(sp);
        return t + v * (1 - t * t) * sig;
    }
    default: throw std::logic_error("activation_slope: not for this activation");
    }
}

inline Tensor activation(const Tensor& x, const Tensor& y, const Tensor& dy, const kiln::ActivationAttrs& a) {
    Tensor dx = dy;
    for (std::size_t i = 0; i < dx.v.size(); ++i) {
        switch (a.function) {
        case kiln::ActivationFunction::relu: dx.v[i] *= x.v[i] > 0 ? 1.0 : 0.0; break;
        case kiln::ActivationFunction::leaky_relu: dx.v[i] *= x.v[i] > 0 ? 1.0 : a.slope; break;
        case kiln::ActivationFunction::sigmoid: dx.v[i] *= y.v[i] * (1.0 - y.v[i]); break;
        case kiln::ActivationFunction::tanh: dx.v[i] *= 1.0 - y.v[i] * y.v[i]; break;
        case kiln::ActivationFunction::clip: dx.v[i] *= x.v[i] > a.low && x.v[i] < a.high ? 1.0 : 0.0; break;
        default: dx.v[i] *= activation_slope(a, x.v[i]); break;
        }
    }
    return dx;
}

// y = gamma * xhat + beta with xhat = (x - mean) / sqrt(var + eps) over (n, y, x) per channel:
// dx = gamma / sqrt(var + eps) * (dy - mean(dy) - xhat * mean(dy * xhat)).
inline Tensor batch_norm(const Tensor& x, const Tensor& dy, const std::vector<double>& gamma, double eps,
                         std::vector<double>& dgamma, std::vector<double>& dbeta) {
    Tensor dx(x.n, x.h, x.w, x.c);
    dgamma.assign(std::size_t(x.c), 0.0);
    dbeta.assign(std::size_t(x.c), 0.0);
    const double count = double(x.n * x.h * x.w);
    for (long k = 0; k < x.c; ++k) {
        double mean = 0, var = 0;
        for (long i = k; i < long(x.v.size()); i += x.c) mean += x.v[std::size_t(i)];
        mean /= count;
        for (long i = k; i < long(x.v.size()); i += x.c) var += (x.v[std::size_t(i)] - mean) * (x.v[std::size_t(i)] - mean);
        var /= count;
        const double inv_std = 1.0 / std::sqrt(var + eps);
        double sum_dy = 0, sum_dy_xhat = 0;
        for (long i = k; i < long(x.v.size()); i += x.c) {
            sum_dy += dy.v[std::size_t(i)];
            sum_dy_xhat += dy.v[std::size_t(i)] * (x.v[std::size_t(i)] - mean) * inv_std;
        }
        dgamma[std::size_t(k)] = sum_dy_xhat;
        dbeta[std::size_t(k)] = sum_dy;
        for (long i = k; i < long(x.v.size()); i += x.c) {
            const double xhat = (x.v[std::size_t(i)] - mean) * inv_std;
            dx.v[std::size_t(i)] = gamma[std::size_t(k)] * inv_std * (dy.v[std::size_t(i)] - sum_dy / count - xhat * sum_dy_xhat / count);
        }
    }
    return dx;
}

// out_k = x_k / d_k^beta with d_k = bias + alpha * sum over |j - k| <= radius of x_j^2.
inline Tensor lrn(const Tensor& x, const Tensor& dy, const kiln::LrnAttrs& a) {
    Tensor dx(x.n, x.h, x.w, x.c);
    const long radius = long(a.radius);
    for (long b = 0; b < x.n; ++b)
        for (long y = 0; y < x.h; ++y)
            for (long xx = 0; xx < x.w; ++xx) {
                std::vector<double> d(std::size_t(x.c));
                for (long k = 0; k < x.c; ++k) {
                    double s = 0;
                    for (long j = std::max(0L, k - radius); j <= std::min(x.c - 1, k + radius); ++j) s += x.at(b, y, xx, j) * x.at(b, y, xx, j);
                    d[std::size_t(k)] = a.bias + a.alpha * s;
                }
                for (long k = 0; k < x.c; ++k) {
                    const double dk = d[std::size_t(k)], g = dy.at(b, y, xx, k);
                    dx.at(b, y, xx, k) += g * std::pow(dk, -a.beta);
                    // d_k depends on every x_m with |m - k| <= radius.
                    const double common = g * x.at(b, y, xx, k) * -a.beta * std::pow(dk, -a.beta - 1) * a.alpha * 2;
                    for (long m = std::max(0L, k - radius); m <= std::min(x.c - 1, k + radius); ++m) dx.at(b, y, xx, m) += common * x.at(b, y, xx, m);
                }
            }
    return dx;
}

inline Tensor softmax(const Tensor& y, const Tensor& dy) {
    Tensor dx = dy;
    for (long i = 0; i < long(y.v.size()); i += y.c) {
        double dot = 0;
        for (long k = 0; k < y.c; ++k) dot += dy.v[std::size_t(i + k)] * y.v[std::size_t(i + k)];
        for (long k = 0; k < y.c; ++k) dx.v[std::size_t(i + k)] = y.v[std::size_t(i + k)] * (dy.v[std::size_t(i + k)] - dot);
    }
    return dx;
}

// y = log softmax(x): dx_k = dy_k - softmax_k * sum_m dy_m, with softmax = exp(y).
inline Tensor log_softmax(const Tensor& y, const Tensor& dy) {
    Tensor dx = dy;
    for (long i = 0; i < long(y.v.size()); i += y.c) {
        double total = 0;
        for (long k = 0; k < y.c; ++k) total += dy.v[std::size_t(i + k)];
        for (long k = 0; k < y.c; ++k) dx.v[std::size_t(i + k)] = dy.v[std::size_t(i + k)] - std::exp(y.v[std::size_t(i + k)]) * total;
    }
    return dx;
}

inline Tensor layers(const std::vector<kiln::LayerSpec>& ls, const std::vector<Trace>& traces, const kiln::Weights& w, Tensor dy,
                     const Mode& mode, Gradients& grads);

inline Tensor layer(const kiln::LayerSpec& l, const Trace& t, const kiln::Weights& w, const Tensor& dy, const Mode& mode,
                    Gradients& grads) {
    using namespace kiln;
    auto param = [&](const char* role) { return detail::doubles(w[l.name + "." + role]); };
    auto grad = [&](const char* role) -> std::vector<double>& { return grads[l.name + "." + role]; };
    return std::visit(
        overloaded{
            [&](const ConvAttrs& a) {
                std::vector<double> dw, db;
                Tensor dx = conv(t.in, dy, param("weights"), a, dw, a.bias ? &db : nullptr);
                accumulate(grad("weights"), dw);
                if (a.bias) accumulate(grad("bias"), db);
                return dx;
            },
            [&](const PoolAttrs& a) { return pool(t.in, dy, a); },
            [&](const GlobalAvgPoolAttrs&) {
                Tensor dx(t.in.n, t.in.h, t.in.w, t.in.c);
                for (long b = 0; b < dx.n; ++b)
                    for (long y = 0; y < dx.h; ++y)
                        for (long x = 0; x < dx.w; ++x)
                            for (long k = 0; k < dx.c; ++k) dx.at(b, y, x, k) = dy.at(b, 0, 0, k) / double(dx.h * dx.w);
                return dx;
            },
            [&](const GlobalMaxPoolAttrs&) {  // to every cell equal to the maximum
                Tensor dx(t.in.n, t.in.h, t.in.w, t.in.c);
                for (long b = 0; b < dx.n; ++b)
                    for (long k = 0; k < dx.c; ++k)
                        for (long y = 0; y < dx.h; ++y)
                            for (long x = 0; x < dx.w; ++x)
                                if (t.in.at(b, y, x, k) == t.out.at(b, 0, 0, k)) dx.at(b, y, x, k) = dy.at(b, 0, 0, k);
                return dx;
            },
            [&](const DenseAttrs& a) {
                std::vector<double> dw, db;
                Tensor dx = dense(t.in, dy, param("weights"), dw, a.bias ? &db : nullptr);
                accumulate(grad("weights"), dw);
                if (a.bias) accumulate(grad("bias"), db);
                return dx;
            },
            [&](const ActivationAttrs& a) { return activation(t.in, t.out, dy, a); },
            [&](const BatchNormAttrs&) {
                std::vector<double> dgamma, dbeta;
                Tensor dx = batch_norm(t.in, dy, param("gamma"), mode.batch_norm_epsilon, dgamma, dbeta);
                accumulate(grad("gamma"), dgamma);
                accumulate(grad("beta"), dbeta);
                return dx;
            },
            [&](const DropoutAttrs& a) {
                Tensor dx = dy;
                if (a.rate() <= 0) return dx;
                for (long b = 0; b < dx.n; ++b)
                    for (long y = 0; y < dx.h; ++y)
                        for (long x = 0; x < dx.w; ++x)
                            for (long k = 0; k < dx.c; ++k)
                                dx.at(b, y, x, k) = dropout_keeps(mode.dropout_seed, t.dropout_ordinal, a.rate(), b, y, x, k, dx)
                                                        ? dy.at(b, y, x, k) / (1.0 - a.rate())
                                                        : 0.0;
                return dx;
            },
            [&](const SoftmaxAttrs& a) { return a.log ? log_softmax(t.out, dy) : softmax(t.out, dy); },
            [&](const LrnAttrs& a) { return lrn(t.in, dy, a); },
            [&](const ConcatAttrs&) {
                Tensor dx(t.in.n, t.in.h, t.in.w, t.in.c);
                long k0 = 0;
                for (std::size_t i = 0; i < l.children.size(); ++i) {
                    const Tensor& part = t.branches[i].empty() ? t.in : t.branches[i].back().out;
                    Tensor dpart(part.n, part.h, part.w, part.c);
                    for (long b = 0; b < part.n; ++b)
                        for (long y = 0; y < part.h; ++y)
                            for (long x = 0; x < part.w; ++x)
                                for (long k = 0; k < part.c; ++k) dpart.at(b, y, x, k) = dy.at(b, y, x, k0 + k);
                    k0 += part.c;
                    dx = add(dx, layers(l.children[i], t.branches[i], w, dpart, mode, grads));
                }
                return dx;
            },
            [&](const ResidualAttrs&) {
                Tensor dx(t.in.n, t.in.h, t.in.w, t.in.c);
                for (std::size_t i = 0; i < l.children.size(); ++i) dx = add(dx, layers(l.children[i], t.branches[i], w, dy, mode, grads));
                return dx;
            },
            [&](const ChannelSliceAttrs& a) {
                Tensor dx(t.in.n, t.in.h, t.in.w, t.in.c);
                for (long b = 0; b < dy.n; ++b)
                    for (long y = 0; y < dy.h; ++y)
                        for (long i = 0; i < dy.w; ++i)
                            for (long k = 0; k < dy.c; ++k) dx.at(b, y, i, k + long(a.begin)) = dy.at(b, y, i, k);
                return dx;
            },
            [&](const ChannelShuffleAttrs& a) { return channel_shuffle(dy, long(a.groups), true); },
            [&](const ChannelScaleAttrs&) {
                const std::vector<double> gamma = param("gamma");
                std::vector<double> dgamma(gamma.size(), 0.0);
                Tensor dx = dy;
                for (std::size_t i = 0; i < dy.v.size(); ++i) {
                    dx.v[i] = dy.v[i] * gamma[i % gamma.size()];
                    dgamma[i % gamma.size()] += dy.v[i] * t.in.v[i];
                }
                accumulate(grad("gamma"), dgamma);
                return dx;
            },
            // Per pixel, with xhat the normalized input and g = dy * gamma:
            // dx = (g - mean(g) - xhat * mean(g * xhat)) / sqrt(var + eps); dgamma += dy * xhat, dbeta += dy.
            [&](const LayerNormAttrs& a) {
                const std::vector<double> gamma = param("gamma");
                std::vector<double> dgamma(gamma.size(), 0.0), dbeta(gamma.size(), 0.0);
                Tensor dx = dy;
                const std::size_t C = gamma.size();
                for (std::size_t p = 0; p < dy.v.size(); p += C) {
                    double mean = 0, var = 0;
                    for (std::size_t k = 0; k < C; ++k) mean += t.in.v[p + k] / double(C);
                    for (std::size_t k = 0; k < C; ++k) var += (t.in.v[p + k] - mean) * (t.in.v[p + k] - mean) / double(C);
                    const double inv = 1 / std::sqrt(var + a.epsilon());
                    double mean_g = 0, mean_gx = 0;
                    for (std::size_t k = 0; k < C; ++k) {
                        const double xhat = (t.in.v[p + k] - mean) * inv, g = dy.v[p + k] * gamma[k];
                        mean_g += g / double(C), mean_gx += g * xhat / double(C);
                        dgamma[k] += dy.v[p + k] * xhat, dbeta[k] += dy.v[p + k];
                    }
                    for (std::size_t k = 0; k < C; ++k) {
                        const double xhat = (t.in.v[p + k] - mean) * inv;
                        dx.v[p + k] = (dy.v[p + k] * gamma[k] - mean_g - xhat * mean_gx) * inv;
                    }
                }
                accumulate(grad("gamma"), dgamma);
                accumulate(grad("beta"), dbeta);
                return dx;
            },
            // out = x * s(x): dx = dy * s + the branch's adjoint of ds, ds = dy * x (summed over the
            // pixels when s is one value per channel).
            [&](const GateAttrs&) {
                const Tensor& s = t.branches[0].empty() ? t.in : t.branches[0].back().out;
                Tensor dx = gate(dy, s), ds(s.n, s.h, s.w, s.c);
                const bool per_channel = s.h == 1 && s.w == 1;
                for (long b = 0; b < dy.n; ++b)
                    for (long y = 0; y < dy.h; ++y)
                        for (long i = 0; i < dy.w; ++i)
                            for (long k = 0; k < dy.c; ++k)
                                (per_channel ? ds.at(b, 0, 0, k) : ds.at(b, y, i, k)) += dy.at(b, y, i, k) * t.in.at(b, y, i, k);
                return add(dx, layers(l.children[0], t.branches[0], w, ds, mode, grads));
            }},
        l.attrs);
}

inline Tensor layers(const std::vector<kiln::LayerSpec>& ls, const std::vector<Trace>& traces, const kiln::Weights& w, Tensor dy,
                     const Mode& mode, Gradients& grads) {
    for (std::size_t i = ls.size(); i-- > 0;) dy = layer(ls[i], traces[i], w, dy, mode, grads);
    return dy;
}

}  // namespace backward

// The gradients of the mean cross-entropy of the net's softmax output against the targets
// (1 - label_smoothing) * onehot(labels) + label_smoothing / classes. The loss's gradient with
// respect to the logits (the final softmax's input) is (p - target) / batch.
inline Gradients gradients(const kiln::NetSpec& net, const kiln::Weights& w, const Tensor& input, const std::vector<int>& labels,
                           Mode mode, double label_smoothing = 0) {
    mode.training = true;
    mode.dropout_layers = 0;
    const std::vector<backward::Trace> traces = backward::forward(net.layers, w, input, mode);
    if (net.layers.empty() || !std::holds_alternative<kiln::SoftmaxAttrs>(net.layers.back().attrs))
        throw std::invalid_argument("ref::gradients: the net must end in a softmax");
    // A LogSoftmax's output is log p.
    const bool log_output = std::get<kiln::SoftmaxAttrs>(net.layers.back().attrs).log;
    Tensor p = traces.back().out;
    if (log_output)
        for (double& v : p.v) v = std::exp(v);
    Tensor dlogits = p;
    for (long b = 0; b < p.n; ++b)
        for (long k = 0; k < p.c; ++k)
            dlogits.at(b, 0, 0, k) = (p.at(b, 0, 0, k) - (labels[std::size_t(b)] == k ? 1.0 - label_smoothing : 0.0) -
                                      label_smoothing / double(p.c)) /
                                     double(p.n);
    Gradients grads;
    const std::vector<kiln::LayerSpec> body(net.layers.begin(), net.layers.end() - 1);
    backward::layers(body, std::vector<backward::Trace>(traces.begin(), traces.end() - 1), w, dlogits, mode, grads);
    return grads;
}

}  // namespace ref
