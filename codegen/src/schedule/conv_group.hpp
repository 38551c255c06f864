// A conv group (fusion.hpp) as one loop nest, laid out as its plan (conv_group_plan.hpp) says: the
// loop shape every CPU schedule (`fused`, `unfused`) gives a conv and what it computes with.
#pragma once

#include "kiln/codegen/conv_group_plan.hpp"
#include "kiln/codegen/fusion.hpp"
#include "kiln/codegen/lowered.hpp"

namespace kiln::codegen::detail {

// The group's last stage at root, parallel over row bands x batch; with a pooling layer, the pooled
// rows pull conv rows through a sliding window, so the pre-pool tensor never exists whole. The conv
// itself is computed per register tile of output channels x columns, its accumulators never
// leaving registers, with bias and the element-wise layers applied on the way out. When a channel
// block's weights would not stay in L2 (W5's second conv: 16x16x256 -> 128, 5x5), the band's conv
// rows are instead computed whole, one slice of input channels at a time, then pooled. A group of
// the conv alone is the `unfused` conv. The plan is checked before it is applied.
//
// Returns the loops a producer group may be computed inside (ConvGroupPlan::inside_consumer). Given
// `inside`, the group is computed there a row at a time, whole pixels per tile (its plan must be
// serial_channel_blocks), its weights copied once per consumer task.
struct ConvGroupLoops {
    Halide::Func root;   // the group's stored stage
    Halide::Var row;     // its row loop, inside the task and image loops
    Halide::Var image;   // the loop of images a task holds its per-image rows for (the task's own)
    Halide::Var task;    // its parallel loop
};
ConvGroupLoops schedule_conv_group(Lowered& net, const FusionGroup& group, const ConvGroupPlan& plan,
                                   const ConvGroupLoops* inside = nullptr);

}  // namespace kiln::codegen::detail
