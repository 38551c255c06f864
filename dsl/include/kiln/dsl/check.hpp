// The outcome of checking one layer against its input shape: which rule failed and the numbers that
// show why. Checks run in constexpr code; errors.hpp turns a failed Check into a compiler error whose
// first line carries these numbers, and the run-time paths turn it into an exception message.
#pragma once

#include "kiln/dsl/shape.hpp"

namespace kiln {

enum class Rule {
    ok,
    input_extent_below_1,          // v: h, w, c of the input
    missing_kernel,                // a Conv without Kernel<...>
    missing_window,                // a pool without Window<...>
    zero_filters,                  // v: filters
    zero_groups,                   // v: groups
    channels_not_divisible_by_groups,  // v: input channels, filters, groups
    zero_units,                    // v: units
    zero_kernel,                   // v: kernel h, w
    zero_window,                   // v: window h, w
    zero_stride,                   // v: stride h, w
    zero_dilation,                 // v: dilation h, w
    negative_padding,              // v: top, bottom, left, right
    kernel_larger_than_padded_input,   // v: padded h, w, dilated kernel h, w
    window_larger_than_padded_input,   // v: padded h, w, window h, w
    padding_not_smaller_than_window,   // v: top, bottom, left, right, window h, w
    stride_drops_input,            // v: axis (0 rows, 1 cols), padded m, kernel span, stride, dropped
    ratio_out_of_range,            // v: numerator, denominator (dropout rate, LRN exponent...)
    empty_clip_range,              // v: low numerator, denominator, high numerator, denominator
    negative_radius,               // v: radius
    option_not_accepted,           // v: index of the option in the layer's option list
    duplicate_option,              // v: index of the second occurrence
    input_not_first,               // Input<> used after the first position
    empty_concat,                  // Concat<> with no branch
    concat_spatial_mismatch,       // v: branch 1 h, w, branch index (1-based), its h, w
    residual_shape_mismatch,       // v: body h, w, c, shortcut h, w, c
    gate_shape_mismatch,           // v: input h, w, c, branch h, w, c
    channel_slice_out_of_range,    // v: begin, end, input channels
    shuffle_groups_not_dividing_channels,  // v: input channels, groups
    nested,                        // v[0]: which child (branch or body/shortcut) failed first
};

struct Check {
    Rule rule = Rule::ok;
    extent_t v[6] = {0, 0, 0, 0, 0, 0};
    constexpr bool ok() const { return rule == Rule::ok; }
};

constexpr Check check_ok() { return Check{}; }
constexpr Check fail(Rule r, extent_t a = 0, extent_t b = 0, extent_t c = 0, extent_t d = 0,
                     extent_t e = 0, extent_t f = 0) {
    Check ck{};
    ck.rule = r;
    ck.v[0] = a;
    ck.v[1] = b;
    ck.v[2] = c;
    ck.v[3] = d;
    ck.v[4] = e;
    ck.v[5] = f;
    return ck;
}

// The checks shared by every windowed layer (convolution and pooling), in the order a user would
// want to hear about them: zero parameters first, then fit, then the strict-mode stride rule.
struct WindowGeometry {
    Extent2 kernel, stride, dilation;
    Padding padding;
    bool is_pool = false;
    bool ceil_mode = false;  // pools only: CeilMode
};

// The padding a window reads through: the declared one, plus ceil mode's cells after the end.
constexpr Pads window_rows(const WindowGeometry& g, extent_t m) {
    Pads p = resolve_rows(g.padding, m, g.kernel, g.stride, g.dilation);
    if (g.ceil_mode && kernel_fits(m, p, g.kernel.h, g.stride.h, g.dilation.h))
        p.end += ceil_mode_extra(m, p, g.kernel.h, g.stride.h, g.dilation.h);
    return p;
}
constexpr Pads window_cols(const WindowGeometry& g, extent_t m) {
    Pads p = resolve_cols(g.padding, m, g.kernel, g.stride, g.dilation);
    if (g.ceil_mode && kernel_fits(m, p, g.kernel.w, g.stride.w, g.dilation.w))
        p.end += ceil_mode_extra(m, p, g.kernel.w, g.stride.w, g.dilation.w);
    return p;
}

constexpr Check check_window(const WindowGeometry& g, Shape in, bool strict) {
    if (g.kernel.h < 1 || g.kernel.w < 1)
        return fail(g.is_pool ? Rule::zero_window : Rule::zero_kernel, g.kernel.h, g.kernel.w);
    if (g.stride.h < 1 || g.stride.w < 1) return fail(Rule::zero_stride, g.stride.h, g.stride.w);
    if (g.dilation.h < 1 || g.dilation.w < 1) return fail(Rule::zero_dilation, g.dilation.h, g.dilation.w);
    const Pads rows = resolve_rows(g.padding, in.h, g.kernel, g.stride, g.dilation);
    const Pads cols = resolve_cols(g.padding, in.w, g.kernel, g.stride, g.dilation);
    if (rows.begin < 0 || rows.end < 0 || cols.begin < 0 || cols.end < 0)
        return fail(Rule::negative_padding, rows.begin, rows.end, cols.begin, cols.end);
    const bool fits = kernel_fits(in.h, rows, g.kernel.h, g.stride.h, g.dilation.h) &&
                      kernel_fits(in.w, cols, g.kernel.w, g.stride.w, g.dilation.w);
    if (!fits)
        return fail(g.is_pool ? Rule::window_larger_than_padded_input : Rule::kernel_larger_than_padded_input,
                    padded_extent(in.h, rows), padded_extent(in.w, cols),
                    dilated_extent(g.kernel.h, g.dilation.h), dilated_extent(g.kernel.w, g.dilation.w));
    // A pooling window that lies wholly in padding has nothing to reduce (frameworks reject p >= k).
    if (g.is_pool && (rows.begin >= g.kernel.h || rows.end >= g.kernel.h || cols.begin >= g.kernel.w ||
                      cols.end >= g.kernel.w))
        return fail(Rule::padding_not_smaller_than_window, rows.begin, rows.end, cols.begin, cols.end,
                    g.kernel.h, g.kernel.w);
    if (strict) {  // with ceil mode's cells, which no stride drops
        const Pads er = window_rows(g, in.h), ec = window_cols(g, in.w);
        const extent_t dr = rows_dropped_by_stride(in.h, er, g.kernel.h, g.stride.h, g.dilation.h);
        if (dr != 0)
            return fail(Rule::stride_drops_input, 0, padded_extent(in.h, er),
                        dilated_extent(g.kernel.h, g.dilation.h), g.stride.h, dr);
        const extent_t dc = rows_dropped_by_stride(in.w, ec, g.kernel.w, g.stride.w, g.dilation.w);
        if (dc != 0)
            return fail(Rule::stride_drops_input, 1, padded_extent(in.w, ec),
                        dilated_extent(g.kernel.w, g.dilation.w), g.stride.w, dc);
    }
    return check_ok();
}

constexpr Shape window_output(const WindowGeometry& g, Shape in, extent_t channels) {
    const Pads rows = window_rows(g, in.h), cols = window_cols(g, in.w);
    return Shape{output_extent(in.h, rows, g.kernel.h, g.stride.h, g.dilation.h),
                 output_extent(in.w, cols, g.kernel.w, g.stride.w, g.dilation.w), channels};
}

}  // namespace kiln
