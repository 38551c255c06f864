// The pieces the CPU schedules (`fused`, `unfused`) are built from.
#pragma once

#include "kiln/codegen/conv_group_plan.hpp"
#include "kiln/codegen/fusion.hpp"
#include "kiln/codegen/lowered.hpp"
#include "kiln/codegen/machine_model.hpp"
#include "kiln/codegen/tuning.hpp"

namespace kiln::codegen::detail {

// Every stage of the layer that must be stored (its output and its reductions) computed at root,
// parallel over rows and batch, vectorized over channels; helper stages stay inlined.
void schedule_layer_at_root(Lowered& net, std::size_t layer, const MachineModel& machine);

// A conv group (see fusion.hpp) as one loop nest: its last stage at root, parallel over row bands
// × batch; with a pooling layer, the pooled rows pull conv rows through a sliding window, so the
// pre-pool tensor never exists whole. The conv itself is computed per register tile of output
// channels × columns, its accumulators never leaving registers, with bias and the element-wise
// layers applied on the way out. When a channel block's weights would not stay in L2 (W5's second
// conv: 16x16x256 -> 128, 5x5), the band's conv rows are instead computed whole, one slice of input
// channels at a time, then pooled. A group of the conv alone is the `unfused` conv. The sizes of
// all of this come from `plan` (conv_group_plan.hpp), checked before it is applied.
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

// The group's plan from `tuning` when it has one for the group, else the one the cost rules
// choose; `source` says which ("cost model", "tuned", ...).
ConvGroupPlan choose_conv_group_plan(const Lowered& net, const FusionGroup& group, const MachineModel& machine, const Tuning& tuning,
                                     std::string& source);

// The plan chosen, recorded in Lowered::schedule_plan with where it came from, and applied with
// the group's output stored (`unfused`: no group computed inside another).
void plan_and_schedule_conv_group(Lowered& net, const FusionGroup& group, const MachineModel& machine, const Tuning& tuning);

// "l1_conv..l2_activation: <plan> (<source>)": the group's line in Lowered::schedule_plan, without
// its newline.
std::string plan_line(const Lowered& net, const FusionGroup& group, const ConvGroupPlan& plan, const std::string& source);

// The net's output stage: a copy of the last layer, computed at root.
void schedule_net_output(Lowered& net, const MachineModel& machine);

}  // namespace kiln::codegen::detail
