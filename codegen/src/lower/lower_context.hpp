// Internal to the lowering: the per-layer lowering functions and the helpers they share.
#pragma once

#include "kiln/codegen/lowered.hpp"

namespace kiln::codegen::detail {

// What a layer's lowering reads: the shared variables, its input Func, and its learned tensors.
struct LayerInput {
    Lowered& net;
    const LayerSpec& spec;
    Halide::Func in;
    Halide::ImageParam param(const std::string& role) const;
    std::string name(const std::string& stage) const { return spec.name + "_" + stage; }
};

// The stages of a layer that defines one Func.
inline LayerStages single(Halide::Func f) {
    LayerStages s;
    s.funcs = {f};
    s.output = f;
    return s;
}

// in extended to rows [-rows.begin, h + rows.end) and columns likewise, filled with `fill`; the
// clamp keeps bounds inference inside the input.
Halide::Func pad_spatial(const LayerInput& li, Pads rows, Pads cols, Halide::Expr fill);

// max(a, b), NaN if either is NaN, as PyTorch's max_pool2d gives: Halide's max lowers to the x86
// max instruction, which returns its second operand when either is NaN. Two tests per call: the
// pools with unrolled windows and ReLU use cheaper forms (lower_pool.cpp, lower_elementwise.cpp).
Halide::Expr nan_propagating_max(Halide::Expr a, Halide::Expr b);
// Whether v is a NaN, tested on its bits (lower.cpp says why is_nan() is not enough).
Halide::Expr is_nan_bits(Halide::Expr v);

LayerStages lower_conv(const LayerInput& li, const ConvAttrs& a);
LayerStages lower_conv_winograd(const LayerInput& li, const ConvAttrs& a, WeightPacking packing);
LayerStages lower_pool(const LayerInput& li, const PoolAttrs& a);
LayerStages lower_global_avg_pool(const LayerInput& li, const GlobalAvgPoolAttrs& a);
LayerStages lower_global_max_pool(const LayerInput& li, const GlobalMaxPoolAttrs& a);
LayerStages lower_dense(const LayerInput& li, const DenseAttrs& a);
LayerStages lower_activation(const LayerInput& li, const ActivationAttrs& a);
LayerStages lower_batch_norm(const LayerInput& li, const BatchNormAttrs& a);
LayerStages lower_dropout(const LayerInput& li, const DropoutAttrs& a);
LayerStages lower_softmax(const LayerInput& li, const SoftmaxAttrs& a);
LayerStages lower_lrn(const LayerInput& li, const LrnAttrs& a);
LayerStages lower_layer_norm(const LayerInput& li, const LayerNormAttrs& a);
LayerStages lower_channel_scale(const LayerInput& li, const ChannelScaleAttrs& a);
LayerStages lower_channel_slice(const LayerInput& li, const ChannelSliceAttrs& a);
LayerStages lower_channel_shuffle(const LayerInput& li, const ChannelShuffleAttrs& a);

}  // namespace kiln::codegen::detail
