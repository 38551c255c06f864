// The pieces the CPU schedules (`fused`, `unfused`) are built from: layers stored at root, the
// net's output, and each conv group's plan chosen, recorded and applied (conv_group.hpp).
#pragma once

#include "kiln/codegen/conv_group_plan.hpp"
#include "kiln/codegen/fusion.hpp"
#include "kiln/codegen/lowered.hpp"
#include "kiln/codegen/machine_model.hpp"
#include "kiln/codegen/tuning.hpp"
#include "schedule/conv_group.hpp"

namespace kiln::codegen::detail {

// Every stage of the layer that must be stored (its output and its reductions) computed at root,
// parallel over rows and batch, vectorized over channels; helper stages stay inlined.
void schedule_layer_at_root(Lowered& net, std::size_t layer, const MachineModel& machine);

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
