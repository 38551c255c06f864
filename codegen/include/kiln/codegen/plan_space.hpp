// The plans a tuner (tune.hpp) tries for a conv group: variants of a plan along one axis at a
// time, each completed as the cost model completes its own (channel blocks from the tile, bands
// for the cores) and checked by check_conv_group_plan. None equals `from`.
#pragma once

#include <vector>

#include "kiln/codegen/conv_group_plan.hpp"

namespace kiln::codegen {

enum class PlanAxis {
    register_tile,  // tile_vectors x tile_columns (then channel blocks and bands follow)
    row_bands,      // how a stored stage's rows are split among tasks
    reduction,      // register tiles against reduction blocks of several sizes (groups with a pool)
    images_per_task,  // the images a register-tiled task computes in turn (batch > 1)
    inside_consumer,  // computed inside the next group's tasks, or stored (a depthwise group before a pointwise conv)
    algorithm,        // a 3x3 conv directly or by Winograd's F(2x2) or F(4x4) (prepared weights only)
};

// Best first by the cost model's own measure (the tile's useful FMAs per step) where it has one.
std::vector<ConvGroupPlan> plan_variants(const Lowered& net, const FusionGroup& group, const MachineModel& machine,
                                         const ConvGroupPlan& from, PlanAxis axis);

}  // namespace kiln::codegen
