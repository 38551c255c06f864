// Convolution: an initial bias (or zero) and one update over (input channel, kernel column, kernel row).
#include "lower/lower_context.hpp"

namespace kiln::codegen {

namespace {
// Whether every output position along an axis has at least one tap inside the image. Pads of at
// least the dilated kernel's extent (a 1-row kernel under 2 rows of padding) leave outputs whose
// taps all fall in the padding.
bool every_output_reads_image(extent_t m, Pads p, extent_t k, extent_t s, extent_t d, extent_t out) {
    for (extent_t o = 0; o < out; ++o) {
        bool reads = false;
        for (extent_t t = 0; t < k && !reads; ++t) {
            const extent_t i = o * s + t * d - p.begin;
            reads = i >= 0 && i < m;
        }
        if (!reads) return false;
    }
    return true;
}
}  // namespace

bool skips_padded_rows(const LayerSpec& conv) {
    const auto& a = std::get<ConvAttrs>(conv.attrs);
    const Pads rows = a.rows(conv.in);
    // Where an output row has no tap in the image, Halide 14 trims that row's tap loop to an empty
    // interval [lo, hi], lo > hi, and derives footprints from it: it read kernel row 1 of a 1-row
    // kernel, and walked a folded padded input backwards. Such rows add their zeros instead.
    return (rows.begin || rows.end) &&
           every_output_reads_image(conv.in.h, rows, a.kernel.h, a.stride.h, a.dilation.h, conv.out.h);
}

namespace {
bool has_padding(const LayerSpec& conv) {
    const auto& a = std::get<ConvAttrs>(conv.attrs);
    const Pads rows = a.rows(conv.in), cols = a.cols(conv.in);
    return rows.begin || rows.end || cols.begin || cols.end;
}

bool every_output_reads_image_both_ways(const LayerSpec& conv) {
    const auto& a = std::get<ConvAttrs>(conv.attrs);
    return every_output_reads_image(conv.in.h, a.rows(conv.in), a.kernel.h, a.stride.h, a.dilation.h, conv.out.h) &&
           every_output_reads_image(conv.in.w, a.cols(conv.in), a.kernel.w, a.stride.w, a.dilation.w, conv.out.w);
}

// A conv whose every output reads the image along both axes, and that skips its padded taps along
// both (skips_padded_rows, skips_padded_columns), reads only the image: it reads the input itself,
// not a zero-padded copy. For a depthwise conv the copy was a second pass over memory, for one FMA
// per value (W6's 3x3 depthwise: 0.149 ms with it, 0.065 ms for the same conv unpadded; oneDNN
// 0.040 ms). For other convs of more than 4 input channels a group, it was a copy per task of
// every input row (W4: 4 channel blocks, 4 copies), 3-10 % of W2, W4, W5 and GoogLeNet at batch 1
// and 8 on the Xeon VM, interleaved A/B. Training skips no taps (lower_conv's where clauses), so
// there only a depthwise conv reads its input, through the boundary condition; a dense conv reads
// the padded copy, which its weight gradient reads too (train_backward.cpp).
bool reads_input_unpadded(const LayerSpec& conv, bool training) {
    const auto& a = std::get<ConvAttrs>(conv.attrs);
    return (a.depthwise(conv.in) || (!training && a.group_input_channels(conv.in) > 4)) && every_output_reads_image_both_ways(conv);
}
}  // namespace

bool pads_input(const LayerSpec& conv) { return has_padding(conv) && !reads_input_unpadded(conv, false); }

bool skips_padded_columns(const LayerSpec& conv) {
    const auto& a = std::get<ConvAttrs>(conv.attrs);
    const Pads cols = a.cols(conv.in);
    // A cost choice made here because a schedule cannot remove an RDom predicate: with a few input
    // channels per group (an RGB image) a tap is a handful of MACs, all unrolled by `fused`, and the
    // tests per column cost more than the taps they save (W1 1.2x -> 0.6-1.0x oneDNN in A/B runs),
    // so those taps add their zeros; a depthwise conv instead skips them to read no padded copy
    // (reads_input_unpadded). Columns with no tap in the image likewise (see skips_padded_rows).
    return (cols.begin || cols.end) && (a.group_input_channels(conv.in) > 4 || reads_input_unpadded(conv, false)) &&
           every_output_reads_image(conv.in.w, cols, a.kernel.w, a.stride.w, a.dilation.w, conv.out.w);
}

}  // namespace kiln::codegen

namespace kiln::codegen::detail {

using namespace Halide;

LayerStages lower_conv(const LayerInput& li, const ConvAttrs& a) {
    for (const auto& p : li.spec.params) {
        const auto packed = li.net.packed_weights.find(p.name);
        if (p.role == "weights" && packed != li.net.packed_weights.end() && packed->second.winograd_tile)
            return lower_conv_winograd(li, a, packed->second);
    }
    const Shape in = li.spec.in;
    const Pads rows = a.rows(in), cols = a.cols(in);
    Func padded = pad_spatial(li, rows, cols, 0.0f);
    ImageParam w = li.param("weights");  // dims (o, i, kx, ky), or packed (lowered.hpp)
    const Var &c = li.net.c, &x = li.net.x, &y = li.net.y, &n = li.net.n;

    // r.x: input channel (of the output channel's group), r.y: kernel column, r.z: kernel row.
    const int group_in = int(a.group_input_channels(in)), group_out = int(a.group_filters());
    RDom r(0, group_in, 0, int(a.kernel.w), 0, int(a.kernel.h), li.name("r"));
    // A depthwise conv of multiplier 1 reads channel c itself: written so, a vector of output
    // channels loads a vector of input channels rather than a gather.
    Expr ic = a.groups == 1 ? Expr(r.x) : group_in == 1 && group_out == 1 ? Expr(c) : c / group_out * group_in + r.x;
    Expr kx = a.flip ? Expr(int(a.kernel.w) - 1) - r.y : Expr(r.y);
    Expr ky = a.flip ? Expr(int(a.kernel.h) - 1) - r.z : Expr(r.z);
    Expr ix = x * int(a.stride.w) + r.y * int(a.dilation.w) - int(cols.begin);
    Expr iy = y * int(a.stride.h) + r.z * int(a.dilation.h) - int(rows.begin);

    // Kernel rows that fall in the zero padding add nothing: leave them out, so a schedule that
    // computes a row at a time runs only the rows' valid taps (Halide trims the loop). Columns
    // likewise (~10 % of W2's MACs), except where they cost more to test than to add.
    if (!li.net.training) {
        if (skips_padded_rows(li.spec)) r.where(iy >= 0 && iy < int(in.h));
        if (skips_padded_columns(li.spec)) r.where(ix >= 0 && ix < int(in.w));
    }

    // Packed, a register tile's channels are c = block * b + j with j < block (the schedule splits
    // c by the same block), so the div and mod fold away.
    int block = 0;
    for (const auto& p : li.spec.params)
        if (p.role == "weights" && li.net.packed_weights.count(p.name)) block = li.net.packed_weights.at(p.name).block;
    const int out_channels = int(li.spec.out.c);
    // Ragged output channels (no multiple of 8) of an ungrouped conv: weights and bias read as zero
    // past the last channel, so a schedule may compute whole vectors (same numbers: only lanes it
    // never stores see the zeros). Grouped convs' extra lanes would read input channels that do not exist.
    const bool zero_extends = !li.net.training && a.groups == 1 && block == 0 && out_channels % 8 != 0;
    const Range channels(0, out_channels), whole;  // whole: an undefined Range leaves a dimension unbounded
    Func zero_extended = zero_extends ? BoundaryConditions::constant_exterior(w, 0.0f, {channels, whole, whole, whole}) : Func();
    Func conv(li.name("conv"));
    if (!a.bias) conv(c, x, y, n) = 0.0f;
    else if (zero_extends) conv(c, x, y, n) = BoundaryConditions::constant_exterior(li.param("bias"), 0.0f, {channels})(c);
    else conv(c, x, y, n) = li.param("bias")(c);
    Expr weight = block > 0 ? w(c % block, r.x, kx, ky, c / block) : zero_extended.defined() ? zero_extended(c, r.x, kx, ky) : w(c, r.x, kx, ky);
    conv(c, x, y, n) += weight * padded(ic, ix, iy, n);

    const bool padded_copy = has_padding(li.spec) && !reads_input_unpadded(li.spec, li.net.training);
    LayerStages s;
    if (padded_copy) s.funcs.push_back(padded), s.padded_input = padded;
    if (zero_extended.defined()) s.funcs.push_back(zero_extended), s.zero_extended_weights = zero_extended;
    s.funcs.push_back(conv);
    s.rdoms.push_back(r);
    s.output = conv;
    return s;
}

}  // namespace kiln::codegen::detail
