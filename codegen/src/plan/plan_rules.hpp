// The cost rules' pieces that the plan space (plan_space.cpp) derives its variants with, so a
// varied plan is completed exactly as the cost model completes its own (plan_conv_group.cpp).
#pragma once

#include "kiln/codegen/conv_group_plan.hpp"

namespace kiln::codegen::detail {

// The register-fit rule, written once: a tile of `vectors` channel vectors x `columns` output
// columns holds vectors x columns accumulators, `weights_per_vector` weight vectors per channel
// vector (1; a depthwise conv's unrolled kernel columns), one broadcast input value, and leaves one
// register spare: W5's 4 x 3 tile on AVX2 (17) spilled and ran at half speed, W4's 3 x 4 (exactly
// 16) ran 5-20 % slower than 2 x 6 in three A/B runs. The most columns such a tile may have:
inline int max_tile_columns(int vectors, int registers, int weights_per_vector = 1) {
    return (registers - vectors * weights_per_vector - 2) / vectors;
}
// Whether the tile loads at most one value (a weight vector or a broadcast input) per FMA it issues.
inline bool loads_at_most_one_per_fma(int vectors, int columns) { return vectors + columns <= vectors * columns; }

// The group's pool when it ends with one, else null.
const PoolAttrs* group_pool(const Lowered& net, const FusionGroup& group);
// The rows of the group's stored stage: the pooled rows under a pool, else the conv's.
int stored_rows(const Lowered& net, const FusionGroup& group);
// The share of the cores' time that `tasks` equal tasks keep busy (3 tasks on 2 cores: 0.75).
double core_balance(int tasks, int cores);
// Row bands per image: only as many as give every core work once `independent_tasks` (batch x
// channel blocks) are counted, or, where those keep the cores under 90 % busy, up to 4 that even
// them out.
int row_bands(int rows, int independent_tasks, int cores);
// Bands of equal height; the count is what that height gives (12 rows in 8 bands are 6 of 2).
void set_bands(ConvGroupPlan& plan, int rows, int bands);
// Images a task computes in turn under register tiles (1 under other loops): a divisor of the
// batch leaving 8 tasks a core.
void set_images_per_task(ConvGroupPlan& plan, int cores);
// The Winograd plan of tile m for the group, completed from the direct plan `direct` (its vectors
// and batch): register tile over a tile row's tiles, bands of whole tile rows (set_winograd_bands).
ConvGroupPlan winograd_plan(const Lowered& net, const FusionGroup& group, const MachineModel& machine, int m, const ConvGroupPlan& direct);
// A Winograd plan's bands, `bands` of whole tile rows (0: as many as the cores and a quarter of L2
// for the band's products need).
void set_winograd_bands(ConvGroupPlan& plan, const Lowered& net, const FusionGroup& group, const MachineModel& machine, int bands = 0);
// The cost rule's estimates (multiply-adds a call, in FMA lanes) of the group's conv computed
// directly and by Winograd's F(m x m, 3 x 3); the cost model takes Winograd below 3/4 of direct.
double direct_cost(const LayerSpec& conv, int batch);
double winograd_cost(const LayerSpec& conv, int batch, int m);
// The padded input rows a task keeps under a pool (a power of two); 0: no fold.
int padded_input_fold(const ConvAttrs& conv, const PoolAttrs& pool);
// The group's fold for bands of `band_rows` pooled rows: 0 where a band's padded input rows fit
// in the fold (it would save nothing; plan_conv_group.cpp says what Halide 14 did with one).
int padded_input_fold_for(const Lowered& net, const FusionGroup& group, int band_rows);

}  // namespace kiln::codegen::detail
