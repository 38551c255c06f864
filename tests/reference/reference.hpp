// Plain-loop reference implementations of every layer kind, written for the tests and independent
// of kiln's DSL and code generator: they take explicit numbers (pads, strides...), find their output
// sizes by sliding the window until it leaves the padded input, and accumulate in double.
// Tensors are NHWC.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace ref {

struct Tensor {
    long n = 0, h = 0, w = 0, c = 0;
    std::vector<double> v;
    Tensor() = default;
    Tensor(long n_, long h_, long w_, long c_) : n(n_), h(h_), w(w_), c(c_), v(std::size_t(n_ * h_ * w_ * c_), 0.0) {}
    double& at(long b, long y, long x, long k) { return v[std::size_t(((b * h + y) * w + x) * c + k)]; }
    double at(long b, long y, long x, long k) const { return v[std::size_t(((b * h + y) * w + x) * c + k)]; }
    // Zero (or `fill`) outside the image.
    double padded(long b, long y, long x, long k, double fill = 0.0) const {
        return (y < 0 || y >= h || x < 0 || x >= w) ? fill : at(b, y, x, k);
    }
};

struct Window {
    long kh, kw, sh, sw, dh = 1, dw = 1, top = 0, bottom = 0, left = 0, right = 0;
    bool ceil = false;  // pools: PyTorch's ceil_mode
};

// How many window positions fit: count them one by one.
inline long positions(long m, long before, long after, long k, long s, long d) {
    long count = 0;
    for (long start = -before; start + d * (k - 1) <= m - 1 + after; start += s) ++count;
    return count;
}

// weights indexed [ky][kx][i][o] (HWIO) with i over the input channels of o's group: the input's
// c / groups channels starting at (o / (filters / groups)) * (c / groups). flip rotates the kernel
// by 180 degrees.
inline Tensor conv(const Tensor& in, const std::vector<double>& weights, const std::vector<double>* bias, long filters,
                   const Window& g, bool flip, long groups = 1) {
    const long group_in = in.c / groups, group_out = filters / groups;
    const long oh = positions(in.h, g.top, g.bottom, g.kh, g.sh, g.dh);
    const long ow = positions(in.w, g.left, g.right, g.kw, g.sw, g.dw);
    Tensor out(in.n, oh, ow, filters);
    for (long b = 0; b < in.n; ++b)
        for (long oy = 0; oy < oh; ++oy)
            for (long ox = 0; ox < ow; ++ox)
                for (long o = 0; o < filters; ++o) {
                    double acc = bias ? (*bias)[std::size_t(o)] : 0.0;
                    for (long ky = 0; ky < g.kh; ++ky)
                        for (long kx = 0; kx < g.kw; ++kx)
                            for (long i = 0; i < group_in; ++i) {
                                const long wy = flip ? g.kh - 1 - ky : ky, wx = flip ? g.kw - 1 - kx : kx;
                                const double wv = weights[std::size_t(((wy * g.kw + wx) * group_in + i) * filters + o)];
                                acc += wv * in.padded(b, oy * g.sh - g.top + ky * g.dh, ox * g.sw - g.left + kx * g.dw,
                                                      o / group_out * group_in + i);
                            }
                    out.at(b, oy, ox, o) = acc;
                }
    return out;
}

// Pooling windows along one axis: as many as fit, or with ceil mode PyTorch's
// ceil((m + before + after - span) / s) + 1, less one if the last would start past m + before.
inline long pool_positions(long m, long before, long after, long k, long s, long d, bool ceil) {
    if (!ceil) return positions(m, before, after, k, s, d);
    const long room = m + before + after - (d * (k - 1) + 1);
    long count = (room + s - 1) / s + 1;
    if ((count - 1) * s >= m + before) --count;
    return count;
}

// Taps of a window starting at `start` that lie in [lo, hi).
inline long taps_in(long start, long k, long d, long lo, long hi) {
    long count = 0;
    for (long t = 0; t < k; ++t) count += start + t * d >= lo && start + t * d < hi;
    return count;
}

// Visits every output cell of a pooling window, handing `reduce` the input values inside the image
// and the number of its taps inside the declared padding (the whole window, but for ceil mode's
// last ones); padded cells are never visited.
template <class Reduce>
Tensor pool(const Tensor& in, const Window& g, Reduce reduce) {
    const long oh = pool_positions(in.h, g.top, g.bottom, g.kh, g.sh, g.dh, g.ceil),
               ow = pool_positions(in.w, g.left, g.right, g.kw, g.sw, g.dw, g.ceil);
    Tensor out(in.n, oh, ow, in.c);
    std::vector<double> cells;
    for (long b = 0; b < in.n; ++b)
        for (long oy = 0; oy < oh; ++oy)
            for (long ox = 0; ox < ow; ++ox)
                for (long k = 0; k < in.c; ++k) {
                    cells.clear();
                    for (long ky = 0; ky < g.kh; ++ky)
                        for (long kx = 0; kx < g.kw; ++kx) {
                            const long y = oy * g.sh - g.top + ky * g.dh, x = ox * g.sw - g.left + kx * g.dw;
                            if (y >= 0 && y < in.h && x >= 0 && x < in.w) cells.push_back(in.at(b, y, x, k));
                        }
                    const long window = taps_in(oy * g.sh - g.top, g.kh, g.dh, -g.top, in.h + g.bottom) *
                                        taps_in(ox * g.sw - g.left, g.kw, g.dw, -g.left, in.w + g.right);
                    out.at(b, oy, ox, k) = reduce(cells, window);
                }
    return out;
}

// A dilated window can fall wholly in the padding: its max is -infinity, as in PyTorch.
inline Tensor max_pool(const Tensor& in, const Window& g) {
    return pool(in, g, [](const std::vector<double>& cells, long) {
        return cells.empty() ? -std::numeric_limits<double>::infinity() : *std::max_element(cells.begin(), cells.end());
    });
}

// Whether every pooling window holds an input cell (only a dilated one can miss them all).
inline bool every_window_reads_input(const Window& g, long h, long w) {
    const long oh = pool_positions(h, g.top, g.bottom, g.kh, g.sh, g.dh, g.ceil), ow = pool_positions(w, g.left, g.right, g.kw, g.sw, g.dw, g.ceil);
    for (long oy = 0; oy < oh; ++oy)
        if (taps_in(oy * g.sh - g.top, g.kh, g.dh, 0, h) == 0) return false;
    for (long ox = 0; ox < ow; ++ox)
        if (taps_in(ox * g.sw - g.left, g.kw, g.dw, 0, w) == 0) return false;
    return true;
}

inline Tensor avg_pool(const Tensor& in, const Window& g, bool count_padding) {
    return pool(in, g, [&](const std::vector<double>& cells, long window) {
        double sum = 0;
        for (double v : cells) sum += v;
        return sum / double(count_padding ? window : long(cells.size()));
    });
}

inline Tensor global_avg_pool(const Tensor& in) {
    Tensor out(in.n, 1, 1, in.c);
    for (long b = 0; b < in.n; ++b)
        for (long k = 0; k < in.c; ++k) {
            double s = 0;
            for (long y = 0; y < in.h; ++y)
                for (long x = 0; x < in.w; ++x) s += in.at(b, y, x, k);
            out.at(b, 0, 0, k) = s / double(in.h * in.w);
        }
    return out;
}

// weights indexed [flat input][unit], flat = (y * W + x) * C + c.
inline Tensor dense(const Tensor& in, const std::vector<double>& weights, const std::vector<double>* bias, long units) {
    Tensor out(in.n, 1, 1, units);
    const long flat = in.h * in.w * in.c;
    for (long b = 0; b < in.n; ++b)
        for (long u = 0; u < units; ++u) {
            double acc = bias ? (*bias)[std::size_t(u)] : 0.0;
            for (long f = 0; f < flat; ++f) acc += in.v[std::size_t(b * flat + f)] * weights[std::size_t(f * units + u)];
            out.at(b, 0, 0, u) = acc;
        }
    return out;
}

template <class F>
Tensor map(const Tensor& in, F f) {
    Tensor out = in;
    for (auto& x : out.v) x = f(x);
    return out;
}

inline Tensor softmax(const Tensor& in) {
    Tensor out = in;
    for (long b = 0; b < in.n; ++b)
        for (long y = 0; y < in.h; ++y)
            for (long x = 0; x < in.w; ++x) {
                double total = 0;
                for (long k = 0; k < in.c; ++k) total += std::exp(in.at(b, y, x, k));
                for (long k = 0; k < in.c; ++k) out.at(b, y, x, k) = std::exp(in.at(b, y, x, k)) / total;
            }
    return out;
}

inline Tensor log_softmax(const Tensor& in) {
    Tensor out = in;
    for (long b = 0; b < in.n; ++b)
        for (long y = 0; y < in.h; ++y)
            for (long x = 0; x < in.w; ++x) {
                double mx = in.at(b, y, x, 0), total = 0;
                for (long k = 1; k < in.c; ++k) mx = std::max(mx, in.at(b, y, x, k));
                for (long k = 0; k < in.c; ++k) total += std::exp(in.at(b, y, x, k) - mx);
                for (long k = 0; k < in.c; ++k) out.at(b, y, x, k) = in.at(b, y, x, k) - mx - std::log(total);
            }
    return out;
}

// Max over all rows and columns of each channel.
inline Tensor global_max_pool(const Tensor& in) {
    Tensor out(in.n, 1, 1, in.c);
    for (long b = 0; b < in.n; ++b)
        for (long k = 0; k < in.c; ++k) {
            double m = in.at(b, 0, 0, k);
            for (long y = 0; y < in.h; ++y)
                for (long x = 0; x < in.w; ++x) m = std::isnan(m) ? m : std::max(m, in.at(b, y, x, k));
            out.at(b, 0, 0, k) = m;
        }
    return out;
}

inline Tensor lrn(const Tensor& in, long radius, double bias, double alpha, double beta) {
    Tensor out = in;
    for (long b = 0; b < in.n; ++b)
        for (long y = 0; y < in.h; ++y)
            for (long x = 0; x < in.w; ++x)
                for (long k = 0; k < in.c; ++k) {
                    double s = 0;
                    for (long j = std::max(0L, k - radius); j <= std::min(in.c - 1, k + radius); ++j)
                        s += in.at(b, y, x, j) * in.at(b, y, x, j);
                    out.at(b, y, x, k) = in.at(b, y, x, k) / std::pow(bias + alpha * s, beta);
                }
    return out;
}

inline Tensor scale_shift(const Tensor& in, const std::vector<double>& scale, const std::vector<double>& shift) {
    Tensor out = in;
    for (std::size_t i = 0; i < out.v.size(); ++i) {
        const std::size_t k = i % std::size_t(in.c);
        out.v[i] = in.v[i] * scale[k] + shift[k];
    }
    return out;
}

// Layer norm over channels: each pixel's C values normalized with their mean and biased variance,
// then scaled by gamma and shifted by beta per channel.
inline Tensor layer_norm(const Tensor& in, const std::vector<double>& gamma, const std::vector<double>& beta, double epsilon) {
    Tensor out = in;
    for (std::size_t p = 0; p < in.v.size(); p += std::size_t(in.c)) {
        double mean = 0, var = 0;
        for (long k = 0; k < in.c; ++k) mean += in.v[p + std::size_t(k)] / double(in.c);
        for (long k = 0; k < in.c; ++k) var += (in.v[p + std::size_t(k)] - mean) * (in.v[p + std::size_t(k)] - mean) / double(in.c);
        for (long k = 0; k < in.c; ++k)
            out.v[p + std::size_t(k)] = (in.v[p + std::size_t(k)] - mean) / std::sqrt(var + epsilon) * gamma[std::size_t(k)] + beta[std::size_t(k)];
    }
    return out;
}

// Batch norm in training: each channel normalized with the batch's mean and biased variance over
// (n, y, x), then scaled by gamma and shifted by beta.
inline Tensor batch_norm_training(const Tensor& in, const std::vector<double>& gamma, const std::vector<double>& beta, double eps) {
    Tensor out = in;
    const double count = double(in.n * in.h * in.w);
    for (long k = 0; k < in.c; ++k) {
        double mean = 0, var = 0;
        for (long b = 0; b < in.n; ++b)
            for (long y = 0; y < in.h; ++y)
                for (long x = 0; x < in.w; ++x) mean += in.at(b, y, x, k);
        mean /= count;
        for (long b = 0; b < in.n; ++b)
            for (long y = 0; y < in.h; ++y)
                for (long x = 0; x < in.w; ++x) var += (in.at(b, y, x, k) - mean) * (in.at(b, y, x, k) - mean);
        var /= count;
        for (long b = 0; b < in.n; ++b)
            for (long y = 0; y < in.h; ++y)
                for (long x = 0; x < in.w; ++x)
                    out.at(b, y, x, k) = (in.at(b, y, x, k) - mean) / std::sqrt(var + eps) * gamma[std::size_t(k)] + beta[std::size_t(k)];
    }
    return out;
}

// Inverted dropout with the documented counter-based mask (kiln/dsl/dropout.hpp), written out here
// from that formula: `ordinal` counts the net's dropout layers from 0.
inline std::uint32_t lowbias32(std::uint32_t v) {
    v ^= v >> 16;
    v *= 0x7feb352du;
    v ^= v >> 15;
    v *= 0x846ca68bu;
    v ^= v >> 16;
    return v;
}
inline bool dropout_keeps(std::uint32_t step_seed, int ordinal, double rate, long b, long y, long x, long k, const Tensor& in) {
    const std::uint32_t i = std::uint32_t(((b * in.h + y) * in.w + x) * in.c + k);
    const std::uint32_t key = lowbias32(step_seed ^ lowbias32(std::uint32_t(ordinal + 1)));
    const double threshold = std::round((1.0 - rate) * 4294967296.0);
    return double(lowbias32(i * 0x9E3779B9u + key)) < threshold;
}
inline Tensor dropout_training(const Tensor& in, std::uint32_t step_seed, int ordinal, double rate) {
    Tensor out = in;
    for (long b = 0; b < in.n; ++b)
        for (long y = 0; y < in.h; ++y)
            for (long x = 0; x < in.w; ++x)
                for (long k = 0; k < in.c; ++k)
                    out.at(b, y, x, k) = dropout_keeps(step_seed, ordinal, rate, b, y, x, k, in) ? in.at(b, y, x, k) / (1.0 - rate) : 0.0;
    return out;
}

inline Tensor concat(const std::vector<Tensor>& parts) {
    long c = 0;
    for (const auto& p : parts) c += p.c;
    Tensor out(parts[0].n, parts[0].h, parts[0].w, c);
    for (long b = 0; b < out.n; ++b)
        for (long y = 0; y < out.h; ++y)
            for (long x = 0; x < out.w; ++x) {
                long k0 = 0;
                for (const auto& p : parts) {
                    for (long k = 0; k < p.c; ++k) out.at(b, y, x, k0 + k) = p.at(b, y, x, k);
                    k0 += p.c;
                }
            }
    return out;
}

// Channels [begin, end) of x.
inline Tensor channel_slice(const Tensor& x, long begin, long end) {
    Tensor out(x.n, x.h, x.w, end - begin);
    for (long b = 0; b < x.n; ++b)
        for (long y = 0; y < x.h; ++y)
            for (long i = 0; i < x.w; ++i)
                for (long k = begin; k < end; ++k) out.at(b, y, i, k - begin) = x.at(b, y, i, k);
    return out;
}

// ShuffleNet's shuffle written as PyTorch does it: view (groups, C / groups), transpose, flatten.
// `inverse`: the permutation undone (its adjoint).
inline Tensor channel_shuffle(const Tensor& x, long groups, bool inverse = false) {
    Tensor out(x.n, x.h, x.w, x.c);
    const long per_group = x.c / groups;
    for (long b = 0; b < x.n; ++b)
        for (long y = 0; y < x.h; ++y)
            for (long i = 0; i < x.w; ++i)
                for (long g = 0; g < groups; ++g)
                    for (long j = 0; j < per_group; ++j) {
                        const long before = g * per_group + j, after = j * groups + g;  // [g][j] -> [j][g]
                        if (inverse) out.at(b, y, i, before) = x.at(b, y, i, after);
                        else out.at(b, y, i, after) = x.at(b, y, i, before);
                    }
    return out;
}

// x times the gate's scale: one value per channel (a 1x1 scale) or one per value.
inline Tensor gate(const Tensor& x, const Tensor& scale) {
    Tensor out = x;
    const bool per_channel = scale.h == 1 && scale.w == 1;
    for (long b = 0; b < x.n; ++b)
        for (long y = 0; y < x.h; ++y)
            for (long i = 0; i < x.w; ++i)
                for (long k = 0; k < x.c; ++k) out.at(b, y, i, k) *= per_channel ? scale.at(b, 0, 0, k) : scale.at(b, y, i, k);
    return out;
}

inline Tensor add(const Tensor& a, const Tensor& b) {
    Tensor out = a;
    for (std::size_t i = 0; i < out.v.size(); ++i) out.v[i] += b.v[i];
    return out;
}

}  // namespace ref
