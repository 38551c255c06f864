// Lowering driver: creates the pipeline inputs from the NetSpec, lowers each layer in order (branches
// of Concat, Residual and Gate recursively), and fixes every input's bounds from the compile-time shapes.
#include <stdexcept>

#include "kiln/dsl/overloaded.hpp"
#include "kiln/runtime/error.hpp"
#include "lower/lower_context.hpp"

namespace kiln::codegen {

using namespace Halide;

std::string halide_name(const std::string& name) {
    std::string out = name;
    for (char& ch : out)
        if (!(std::isalnum((unsigned char)ch) || ch == '_')) ch = '_';
    return out;
}

std::vector<ImageParam> Lowered::param_list() const {
    std::vector<ImageParam> out;
    for (const auto& p : all_params(spec)) out.push_back(params.at(p.name));
    return out;
}

namespace detail {

ImageParam LayerInput::param(const std::string& role) const {
    for (const auto& p : spec.params)
        if (p.role == role) return net.params.at(p.name);
    throw std::logic_error("kiln: layer " + spec.name + " has no learned tensor '" + role + "'");
}

// NaN tested on the bits: Halide compiles float arithmetic with LLVM's no-NaNs flag, so LLVM folded
// is_nan() of a conv's fused accumulator to false (fused conv -> ReLU turned a NaN into 0 even
// with strict_float on the test). An integer comparison it cannot fold.
Expr is_nan_bits(Expr v) {
    return (reinterpret<uint32_t>(v) & Expr(uint32_t(0x7fffffff))) > Expr(uint32_t(0x7f800000));
}

Expr nan_propagating_max(Expr a, Expr b) { return select(is_nan_bits(a), a, select(is_nan_bits(b), b, max(a, b))); }

Func pad_spatial(const LayerInput& li, Pads rows, Pads cols, Expr fill) {
    if (!rows.begin && !rows.end && !cols.begin && !cols.end) return li.in;
    const Shape in = li.spec.in;
    const Var &c = li.net.c, &x = li.net.x, &y = li.net.y, &n = li.net.n;
    if (li.net.training) {
        Func padded = BoundaryConditions::constant_exterior(li.in, fill, {{0, int(in.c)}, {0, int(in.w)}, {0, int(in.h)}});
        return padded;
    }
    Func padded(li.name("padded"));
    Expr inside = x >= 0 && x < int(in.w) && y >= 0 && y < int(in.h);
    padded(c, x, y, n) = select(inside, li.in(c, clamp(x, 0, int(in.w) - 1), clamp(y, 0, int(in.h) - 1), n), fill);
    return padded;
}

namespace {

std::size_t lower_layers(Lowered& net, const std::vector<LayerSpec>& layers, Func in, Func& out,
                         std::vector<std::size_t>* indices);

// Channels of each branch are placed one after another; the clamp keeps each branch's bounds to
// its own channels, so no branch is asked for (or reads weights of) channels it does not have.
LayerStages lower_concat(Lowered& net, const LayerSpec& spec, Func in) {
    const Var &c = net.c, &x = net.x, &y = net.y, &n = net.n;
    LayerStages s;
    std::vector<Func> outs;
    for (const auto& branch : spec.children) {
        Func bout;
        lower_layers(net, branch, in, bout, &s.children);
        outs.push_back(bout);
    }
    Expr value;
    extent_t begin = 0;
    for (std::size_t b = 0; b < spec.children.size(); ++b) {
        const extent_t bc = spec.children[b].empty() ? spec.in.c : spec.children[b].back().out.c;
        Expr v = outs[b](clamp(c - int(begin), 0, int(bc) - 1), x, y, n);
        value = b == 0 ? v : select(c >= int(begin), v, value);
        begin += bc;
    }
    Func cat(spec.name);
    cat(c, x, y, n) = value;
    s.funcs = {cat};
    s.output = cat;
    return s;
}

LayerStages lower_residual(Lowered& net, const LayerSpec& spec, Func in) {
    const Var &c = net.c, &x = net.x, &y = net.y, &n = net.n;
    LayerStages s;
    Func body, shortcut;
    lower_layers(net, spec.children.at(0), in, body, &s.children);
    lower_layers(net, spec.children.at(1), in, shortcut, &s.children);
    Func add(spec.name);
    add(c, x, y, n) = body(c, x, y, n) + shortcut(c, x, y, n);
    s.funcs = {add};
    s.output = add;
    return s;
}

// The branch's one value per channel is read at (c, 0, 0, n) for every pixel: broadcast over rows
// and columns, the schedule stores it (a global pool cannot be computed per pixel).
LayerStages lower_gate(Lowered& net, const LayerSpec& spec, Func in) {
    const Var &c = net.c, &x = net.x, &y = net.y, &n = net.n;
    LayerStages s;
    Func scale;
    lower_layers(net, spec.children.at(0), in, scale, &s.children);
    const Shape branch = spec.children.at(0).empty() ? spec.in : spec.children.at(0).back().out;
    const bool per_channel = branch.h == 1 && branch.w == 1;
    Func gated(spec.name);
    gated(c, x, y, n) = in(c, x, y, n) * (per_channel ? scale(c, 0, 0, n) : scale(c, x, y, n));
    s.funcs = {gated};
    s.output = gated;
    return s;
}

LayerStages lower_one(Lowered& net, const LayerSpec& spec, Func in) {
    const LayerInput li{net, spec, in};
    // One overload per layer kind and no catch-all: a kind without its lowering does not compile.
    return std::visit(overloaded{[&](const ConvAttrs& a) { return lower_conv(li, a); },
                                 [&](const PoolAttrs& a) { return lower_pool(li, a); },
                                 [&](const GlobalAvgPoolAttrs& a) { return lower_global_avg_pool(li, a); },
                                 [&](const GlobalMaxPoolAttrs& a) { return lower_global_max_pool(li, a); },
                                 [&](const DenseAttrs& a) { return lower_dense(li, a); },
                                 [&](const ActivationAttrs& a) { return lower_activation(li, a); },
                                 [&](const BatchNormAttrs& a) { return lower_batch_norm(li, a); },
                                 [&](const DropoutAttrs& a) { return lower_dropout(li, a); },
                                 [&](const SoftmaxAttrs& a) { return lower_softmax(li, a); },
                                 [&](const LrnAttrs& a) { return lower_lrn(li, a); },
                                 [&](const ConcatAttrs&) { return lower_concat(net, spec, in); },
                                 [&](const ResidualAttrs&) { return lower_residual(net, spec, in); },
                                 [&](const GateAttrs&) { return lower_gate(net, spec, in); },
                                 [&](const ChannelSliceAttrs& a) { return lower_channel_slice(li, a); },
                                 [&](const ChannelShuffleAttrs& a) { return lower_channel_shuffle(li, a); },
                                 [&](const LayerNormAttrs& a) { return lower_layer_norm(li, a); },
                                 [&](const ChannelScaleAttrs& a) { return lower_channel_scale(li, a); }},
                      spec.attrs);
}

// Lowers `layers` in order from `in`; `out` receives the last output (or `in` for an empty list).
std::size_t lower_layers(Lowered& net, const std::vector<LayerSpec>& layers, Func in, Func& out,
                         std::vector<std::size_t>* indices) {
    Func current = in;
    for (const auto& spec : layers) {
        LayerStages stages = lower_one(net, spec, current);
        stages.spec = &spec;
        current = stages.output;
        if (indices) indices->push_back(net.layers.size());
        net.layers.push_back(std::move(stages));
    }
    out = current;
    return layers.size();
}

// Fixes the extents of dims [0, dims.size()); a trailing batch dim (when batch_estimate > 0) gets
// min 0 and only an estimate.
void fix_bounds(OutputImageParam p, const std::vector<extent_t>& dims, int batch_estimate = 0) {
    Region estimates;
    for (std::size_t d = 0; d < dims.size(); ++d) {
        p.dim(int(d)).set_bounds(0, int(dims[d]));
        estimates.push_back(Range(0, int(dims[d])));
    }
    if (batch_estimate > 0) {
        p.dim(int(dims.size())).set_min(0);
        estimates.push_back(Range(0, batch_estimate));
    }
    // Dense strides, as every kiln tensor and weight has them: constants let LLVM fold a tile's
    // addresses into immediate offsets, and a buffer with other strides is refused, not misread.
    int stride = 1;
    for (std::size_t d = 0; d <= dims.size() && (d < dims.size() || batch_estimate > 0); ++d) {
        p.dim(int(d)).set_stride(stride);
        if (d < dims.size()) stride *= int(dims[d]);
    }
    p.set_estimates(estimates);
}

}  // namespace
}  // namespace detail

std::vector<extent_t> packed_weight_dims(const ParamSpec& weights, WeightPacking packing) {
    const int block = packing.block;
    if (weights.dims.size() != 4 || block < 1) throw Error("packed weights: " + weights.name + " is not a conv's weights, or block " + std::to_string(block) + " < 1");
    const extent_t o = weights.dims[0];
    if (packing.winograd_tile == 0) return {extent_t(block), weights.dims[1], weights.dims[2], weights.dims[3], (o + block - 1) / block};
    if (weights.dims[2] != 3 || weights.dims[3] != 3)
        throw Error("packed weights: " + weights.name + " is no 3x3 kernel, which Winograd's F(m x m, 3 x 3) needs");
    const extent_t side = packing.winograd_tile + 2;
    return {extent_t(block), weights.dims[1], side, side, (o + block - 1) / block};
}

Lowered lower(const NetSpec& spec, int batch_estimate, int output_pixel_stride, bool training,
              const std::map<std::string, WeightPacking>& packed_weights) {
    Lowered net;
    net.spec = spec;
    net.training = training;
    net.packed_weights = packed_weights;
    net.weights_prepared = !packed_weights.empty();
    net.batch_estimate = batch_estimate;
    net.output_pixel_stride = output_pixel_stride > 0 ? output_pixel_stride : int(spec.output.c);
    const Shape in = net.spec.input, out = net.spec.output;
    net.input = ImageParam(Float(32), 4, "input");
    detail::fix_bounds(net.input, {in.c, in.w, in.h}, batch_estimate);
    for (const auto& p : all_params(net.spec)) {
        const auto packed = packed_weights.find(p.name);
        const std::vector<extent_t> dims = packed == packed_weights.end() ? p.dims : packed_weight_dims(p, packed->second);
        ImageParam ip(Float(32), int(dims.size()), halide_name(p.name));
        detail::fix_bounds(ip, dims);
        net.params.emplace(p.name, ip);
    }

    Func wrapped_input("input_values");
    // Training: every coordinate clamped into the input. The rounded-up batch tiles
    // (train_schedule.cpp) read past the last example, and Halide's autodiff may evaluate a layer
    // past its edges where the gradient it multiplies is zero.
    if (training) {
        Expr last_example = net.input.dim(3).extent() - 1;
        wrapped_input(net.c, net.x, net.y, net.n) = net.input(clamp(net.c, 0, int(in.c) - 1), clamp(net.x, 0, int(in.w) - 1),
                                                              clamp(net.y, 0, int(in.h) - 1), clamp(net.n, 0, last_example));
    } else {
        wrapped_input(net.c, net.x, net.y, net.n) = net.input(net.c, net.x, net.y, net.n);
    }
    net.input_values = wrapped_input;
    Func last;
    net.layers.reserve(64);
    detail::lower_layers(net, net.spec.layers, wrapped_input, last, nullptr);
    // The layers' spec pointers must point into net.spec, which is not moved after this point.

    net.output = Func("output");
    net.output(net.c, net.x, net.y, net.n) = last(net.c, net.x, net.y, net.n);
    net.output.set_estimates({{0, int(out.c)}, {0, int(out.w)}, {0, int(out.h)}, {0, batch_estimate}});
    // A compiled kernel then rejects an output buffer of the wrong shape instead of writing past it.
    OutputImageParam result = net.output.output_buffer();
    result.dim(0).set_bounds(0, int(out.c)).set_stride(1);
    result.dim(1).set_bounds(0, int(out.w));
    result.dim(2).set_bounds(0, int(out.h));
    result.dim(3).set_min(0);
    result.dim(1).set_stride(net.output_pixel_stride);
    result.dim(2).set_stride(net.output_pixel_stride * int(out.w));
    result.dim(3).set_stride(net.output_pixel_stride * int(out.w * out.h));
    return net;
}

}  // namespace kiln::codegen
