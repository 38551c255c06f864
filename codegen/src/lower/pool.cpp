// Max and average pooling over a window, and the global average.
#include <limits>

#include "lower/lower_context.hpp"

namespace kiln::codegen::detail {

using namespace Halide;

namespace {
// Windows up to this many taps are written out as one expression: the pooled stage is then pure,
// so a schedule can inline it or compute it inside any tile (a reduction could not be inlined).
constexpr extent_t max_unrolled_taps = 25;

// How many of the taps start, start + d, ..., start + (k-1) d lie in [lo, hi) (Halide's integer
// division rounds down, so both bounds hold for starts left of lo too).
Expr taps_inside(Expr start, int k, int d, int lo, int hi) {
    Expr first = max((lo - start + d - 1) / d, 0), last = min((hi - 1 - start) / d, k - 1);
    return max(last - first + 1, 0);
}
}  // namespace

LayerStages lower_pool(const LayerInput& li, const PoolAttrs& a) {
    const Shape in = li.spec.in;
    const Pads rows = a.rows(in), cols = a.cols(in);
    const bool is_max = a.function == PoolFunction::max;
    const float lowest = -std::numeric_limits<float>::infinity();
    // Padded cells never win a max; for an average they add zero and the divisor decides.
    Func padded = pad_spatial(li, rows, cols, is_max ? Expr(lowest) : Expr(0.0f));
    const Var &c = li.net.c, &x = li.net.x, &y = li.net.y, &n = li.net.n;
    Expr x0 = x * int(a.stride.w) - int(cols.begin), y0 = y * int(a.stride.h) - int(rows.begin);
    const int dx = int(a.dilation.w), dy = int(a.dilation.h);
    auto combine = [&](Expr acc, Expr v) { return is_max ? nan_propagating_max(acc, v) : acc + v; };

    LayerStages s;
    if (rows.begin || rows.end || cols.begin || cols.end) s.funcs.push_back(padded), s.padded_input = padded;
    Expr pooled;
    if (a.window.h * a.window.w <= max_unrolled_taps) {
        // A max pool keeps a NaN, as PyTorch's does. Testing each tap (nan_propagating_max) cost
        // W1 20 % at batch 1; instead the largest magnitude's bits ride along, one integer max per
        // tap, and only a magnitude above infinity's (a NaN) replaces the result.
        Expr magnitude;
        for (int j = 0; j < int(a.window.h); ++j)
            for (int i = 0; i < int(a.window.w); ++i) {
                Expr v = padded(c, x0 + i * dx, y0 + j * dy, n);
                if (is_max) {
                    Expr m = reinterpret<int32_t>(v) & 0x7fffffff;
                    magnitude = magnitude.defined() ? max(magnitude, m) : m;
                    pooled = pooled.defined() ? max(pooled, v) : v;
                } else {
                    pooled = pooled.defined() ? pooled + v : v;
                }
            }
        if (is_max) pooled = select(magnitude > 0x7f800000, reinterpret<float>(magnitude), pooled);
    } else {
        RDom r(0, int(a.window.w), 0, int(a.window.h), li.name("r"));
        Func acc(li.name(is_max ? "max" : "sum"));
        acc(c, x, y, n) = is_max ? Expr(lowest) : Expr(0.0f);
        acc(c, x, y, n) = combine(acc(c, x, y, n), padded(c, x0 + r.x * dx, y0 + r.y * dy, n));
        s.funcs.push_back(acc);
        s.rdoms.push_back(r);
        pooled = acc(c, x, y, n);
    }
    if (!is_max) {
        Expr count;
        const int kw = int(a.window.w), kh = int(a.window.h);
        const Pads declared_rows = a.declared_rows(in), declared_cols = a.declared_cols(in);
        const bool whole_windows = !a.ceil_mode && dx == 1 && dy == 1;
        if (a.count_padding && whole_windows) {
            count = Expr(float(kh * kw));
        } else if (a.count_padding) {  // taps inside the declared padding: not ceil mode's extra cells
            count = cast<float>(taps_inside(x0, kw, dx, -int(declared_cols.begin), int(in.w + declared_cols.end)) *
                                taps_inside(y0, kh, dy, -int(declared_rows.begin), int(in.h + declared_rows.end)));
        } else if (dx == 1 && dy == 1) {  // input cells inside the window
            Expr cw = min(x0 + kw, int(in.w)) - max(x0, 0);
            Expr ch = min(y0 + kh, int(in.h)) - max(y0, 0);
            count = cast<float>(cw * ch);
        } else {
            count = cast<float>(taps_inside(x0, kw, dx, 0, int(in.w)) * taps_inside(y0, kh, dy, 0, int(in.h)));
        }
        pooled = pooled / count;
    }
    Func out(li.name(is_max ? "maxpool" : "avgpool"));
    out(c, x, y, n) = pooled;
    s.funcs.push_back(out);
    s.output = out;
    return s;
}

LayerStages lower_global_avg_pool(const LayerInput& li, const GlobalAvgPoolAttrs&) {
    const Shape in = li.spec.in;
    const Var &c = li.net.c, &x = li.net.x, &y = li.net.y, &n = li.net.n;
    RDom r(0, int(in.w), 0, int(in.h), li.name("r"));
    Func sum(li.name("sum"));
    sum(c, x, y, n) = 0.0f;
    sum(c, x, y, n) += li.in(c, r.x, r.y, n);
    Func avg(li.name("avg"));
    avg(c, x, y, n) = sum(c, x, y, n) / float(in.h * in.w);
    LayerStages s;
    s.funcs = {sum, avg};
    s.rdoms = {r};
    s.output = avg;
    return s;
}

LayerStages lower_global_max_pool(const LayerInput& li, const GlobalMaxPoolAttrs&) {
    const Shape in = li.spec.in;
    const Var &c = li.net.c, &x = li.net.x, &y = li.net.y, &n = li.net.n;
    RDom r(0, int(in.w), 0, int(in.h), li.name("r"));
    Func mx(li.name("max"));
    mx(c, x, y, n) = li.in(c, 0, 0, n);
    mx(c, x, y, n) = nan_propagating_max(mx(c, x, y, n), li.in(c, r.x, r.y, n));
    LayerStages s;
    s.funcs = {mx};
    s.rdoms = {r};
    s.output = mx;
    return s;
}

}  // namespace kiln::codegen::detail
