// The one shape rule of kiln. Every output extent in the DSL, the Halide lowering, the run-time
// tensor checks and the weight checks comes from the constexpr functions in this file.
#pragma once

#include <cstdint>

namespace kiln {

using extent_t = std::int64_t;

// The shape of one example (batch is a run-time extent): rows, columns, channels.
struct Shape {
    extent_t h = 0, w = 0, c = 0;
    constexpr extent_t elements() const { return h * w * c; }
};
constexpr bool operator==(Shape a, Shape b) { return a.h == b.h && a.w == b.w && a.c == b.c; }
constexpr bool operator!=(Shape a, Shape b) { return !(a == b); }

// A pair of per-axis values (kernel, stride, dilation, window): rows first, then columns.
struct Extent2 {
    extent_t h = 1, w = 1;
};

// Zero cells added before (top/left) and after (bottom/right) one spatial axis.
struct Pads {
    extent_t begin = 0, end = 0;
};

// Rows (or columns) one kernel tap covers once dilated: d*(k-1)+1.
constexpr extent_t dilated_extent(extent_t kernel, extent_t dilation) {
    return dilation * (kernel - 1) + 1;
}

// Input rows (or columns) that `outputs` consecutive windows read: (n-1)*s + d*(k-1) + 1.
constexpr extent_t input_span(extent_t outputs, extent_t kernel, extent_t stride, extent_t dilation) {
    return (outputs - 1) * stride + dilated_extent(kernel, dilation);
}

// m plus the padding on both sides.
constexpr extent_t padded_extent(extent_t m, Pads p) { return m + p.begin + p.end; }

// True when the (dilated) kernel fits in the padded input, i.e. at least one output exists.
constexpr bool kernel_fits(extent_t m, Pads p, extent_t kernel, extent_t stride, extent_t dilation) {
    return stride >= 1 && padded_extent(m, p) >= dilated_extent(kernel, dilation);
}

// THE rule: (m + p_begin + p_end - d*(k-1) - 1)/s + 1, the lecture's (m - k + 2p + s)/s when d = 1.
// Only meaningful when kernel_fits(); C++ division truncates towards zero, so a negative numerator
// would give a wrong positive answer instead of "no output", which is why every caller checks first.
constexpr extent_t output_extent(extent_t m, Pads p, extent_t kernel, extent_t stride, extent_t dilation) {
    return (padded_extent(m, p) - dilated_extent(kernel, dilation)) / stride + 1;
}

// Cells that ceil mode (a pool's CeilMode; PyTorch's and ONNX's ceil_mode) adds after the end, so
// that the rule above gives ceil((m + p_begin + p_end - span) / s) + 1 outputs, less one when that
// last window would start in the end padding (PyTorch's rule: every window starts in the input or
// the begin padding). Only meaningful when kernel_fits().
constexpr extent_t ceil_mode_extra(extent_t m, Pads p, extent_t kernel, extent_t stride, extent_t dilation) {
    const extent_t room = padded_extent(m, p) - dilated_extent(kernel, dilation);
    if (stride < 1 || room < 0) return 0;
    extent_t outputs = (room + stride - 1) / stride + 1;
    if ((outputs - 1) * stride >= m + p.begin) --outputs;
    const extent_t extra = input_span(outputs, kernel, stride, dilation) - padded_extent(m, p);
    return extra > 0 ? extra : 0;
}

// Input rows that no window reaches, because the stride steps past them: (m + 2p - k) mod s.
constexpr extent_t rows_dropped_by_stride(extent_t m, Pads p, extent_t kernel, extent_t stride,
                                          extent_t dilation) {
    return (padded_extent(m, p) - dilated_extent(kernel, dilation)) % stride;
}

// How a layer pads one axis. `Same` follows TensorFlow: output ceil(m/s), and when the total padding
// is odd the extra row/column goes at the bottom/right. `Full` pads d*(k-1) on each side, so every
// partial overlap of kernel and image gives an output (the lecture's Sobel example). `SameLower` is
// `Same` with the extra row/column at the top/left (ONNX's auto_pad = SAME_LOWER).
enum class PaddingKind { valid, same, full, explicit_pads, same_lower };

struct Padding {
    PaddingKind kind = PaddingKind::valid;
    Pads rows{}, cols{};  // used when kind == explicit_pads
};

constexpr Pads resolve_padding(PaddingKind kind, Pads explicit_pads, extent_t m, extent_t kernel,
                               extent_t stride, extent_t dilation) {
    const extent_t span = dilated_extent(kernel, dilation);
    switch (kind) {
    case PaddingKind::valid: return Pads{0, 0};
    case PaddingKind::full: return Pads{span - 1, span - 1};
    case PaddingKind::same:
    case PaddingKind::same_lower: {
        if (stride < 1) return Pads{0, 0};  // reported as zero stride by the checks
        const extent_t out = (m + stride - 1) / stride;
        const extent_t needed = input_span(out, kernel, stride, dilation) - m;
        const extent_t total = needed > 0 ? needed : 0;
        return kind == PaddingKind::same ? Pads{total / 2, total - total / 2} : Pads{total - total / 2, total / 2};
    }
    case PaddingKind::explicit_pads: return explicit_pads;
    }
    return Pads{0, 0};
}

constexpr Pads resolve_rows(Padding p, extent_t m, Extent2 kernel, Extent2 stride, Extent2 dilation) {
    return resolve_padding(p.kind, p.rows, m, kernel.h, stride.h, dilation.h);
}
constexpr Pads resolve_cols(Padding p, extent_t m, Extent2 kernel, Extent2 stride, Extent2 dilation) {
    return resolve_padding(p.kind, p.cols, m, kernel.w, stride.w, dilation.w);
}

}  // namespace kiln
