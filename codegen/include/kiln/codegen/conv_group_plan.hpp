// How the CPU schedules (`fused`, `unfused`) compute one conv group (fusion.hpp): every choice they
// take from the shapes and the machine, made in one place (plan_conv_group) and applied in another
// (schedule/cpu_parts.cpp), so a plan can be printed, tested, and searched by a tuner.
#pragma once

#include <array>
#include <optional>
#include <string>

#include "kiln/codegen/fusion.hpp"
#include "kiln/codegen/lowered.hpp"
#include "kiln/codegen/machine_model.hpp"

namespace kiln::codegen {

struct ConvGroupPlan {
    enum class Loop {
        // Output channels are not whole vectors: a conv row at a time, in register tiles of
        // tile_vectors x vector_lanes channels x tile_columns columns, the row's last channel
        // block guarded (its lanes past the last channel computed by no one).
        channel_rows,
        // Register tiles of tile_vectors x vector_lanes channels x tile_columns columns, their
        // accumulators in registers; under a pool, the conv rows slide down each band.
        register_tiles,
        // As register_tiles, but a band's conv rows computed whole, reduction_block input
        // channels at a time, because a channel block's weights would not stay in L2.
        reduction_blocks,
        // As register_tiles, but the channel blocks computed one after another at each tile's
        // columns rather than in parallel: a task reads whole input pixels, not a strided slice
        // of each. For a depthwise conv (one load per FMA, no channel reduction to amortize a
        // load over), the slices of a channel-block split streamed in at a third of the rate.
        // Parallel over row bands x batch only; not under a pool.
        serial_channel_blocks,
        // A 3x3 conv by Winograd's F(m x m, 3 x 3), m = winograd_tile (lower/winograd.hpp), from
        // prepared weights: each task transforms its band's input tiles, multiplies them by its
        // channel block's kernels in register tiles of tile_vectors x vector_lanes channels x
        // tile_columns tiles, and transforms them back. band_rows is a multiple of m. Not under a pool.
        winograd,
    };
    Loop loop = Loop::channel_rows;
    int vector_lanes = 8;
    int tile_vectors = 1, tile_columns = 1;  // the register tile
    int channel_blocks = 1;                  // blocks of tile_vectors * vector_lanes channels, parallel unless serial_channel_blocks
    int row_bands = 1, band_rows = 1;        // parallel bands of the stored stage's rows
    int reduction_block = 0;                 // input channels per reduction slice (reduction_blocks)
    int fold_rows = 0;                       // padded input rows each task keeps; 0: all of them
    int batch = 1;                           // the batch the plan was made for
    // Images a task computes one after another (register_tiles only): its weight slice, copied
    // into the task's own layout, is then copied once for them all rather than once an image.
    int images_per_task = 1;
    // 1: the group's output is never stored; it is computed a row at a time inside the tasks of
    // the next group, which reads it (fusion.hpp: group_to_compute_inside; serial_channel_blocks
    // only). Where that group's plan splits its channel blocks among tasks, so a row would be
    // computed once per task, the schedule stores it instead and says so.
    int inside_consumer = 0;
    int winograd_tile = 0;  // outputs per tile side (2 or 4) under Loop::winograd; 0 otherwise

    int channel_block() const { return tile_vectors * vector_lanes; }
    int parallel_channel_blocks() const { return loop == Loop::serial_channel_blocks ? 1 : channel_blocks; }
    int image_groups() const {  // (an images_per_task below 1 is refused by the check, which describes the plan)
        const int images = images_per_task < 1 ? 1 : images_per_task;
        return (batch + images - 1) / images;
    }
    int tasks() const { return image_groups() * parallel_channel_blocks() * row_bands; }
    // Whether each task computes whole rows of the stored stage, every channel of every pixel, one
    // image at a time: a group computed inside this one's tasks is then computed once.
    bool tasks_read_whole_rows() const {
        return (loop == Loop::serial_channel_blocks || (loop == Loop::register_tiles && channel_blocks == 1)) && images_per_task == 1;
    }
    // "register tiles 32 ch x 12 cols, 2 channel blocks x 1 band of 12 rows x batch 1 = 2 tasks, padded input folded to 16 rows"
    std::string describe() const;
    bool operator==(const ConvGroupPlan& other) const;
    bool operator!=(const ConvGroupPlan& other) const { return !(*this == other); }
};

// The plan's fields, written once: equality and the tuning file (tuning.hpp) read them
// from here. Adding a field to ConvGroupPlan fails to compile (conv_group_plan.cpp) until it is
// listed.
struct ConvGroupPlanField {
    const char* name;
    int ConvGroupPlan::*member;
    int min;                // the smallest valid value
    bool optional = false;  // absent from tuning files written before the field existed: the default
};
inline constexpr std::array<ConvGroupPlanField, 12> conv_group_plan_fields{{
    {"vector_lanes", &ConvGroupPlan::vector_lanes, 1},
    {"tile_vectors", &ConvGroupPlan::tile_vectors, 1},
    {"tile_columns", &ConvGroupPlan::tile_columns, 1},
    {"channel_blocks", &ConvGroupPlan::channel_blocks, 1},
    {"row_bands", &ConvGroupPlan::row_bands, 1},
    {"band_rows", &ConvGroupPlan::band_rows, 1},
    {"reduction_block", &ConvGroupPlan::reduction_block, 0},
    {"fold_rows", &ConvGroupPlan::fold_rows, 0},
    {"batch", &ConvGroupPlan::batch, 1},
    {"images_per_task", &ConvGroupPlan::images_per_task, 1, true},
    {"inside_consumer", &ConvGroupPlan::inside_consumer, 0, true},
    {"winograd_tile", &ConvGroupPlan::winograd_tile, 0, true},
}};
// The loop's name in tuning files and messages, and back (nothing for an unknown name).
const char* loop_name(ConvGroupPlan::Loop loop);
std::optional<ConvGroupPlan::Loop> loop_from_name(const std::string& name);

// The plan the cost rules choose for `group` of `net` (its batch_estimate) on `machine`: Winograd
// where the net's weights are prepared and it is estimated to win, else the direct conv's.
ConvGroupPlan plan_conv_group(const Lowered& net, const FusionGroup& group, const MachineModel& machine);
// The direct conv's plan, which the net lowered for planning schedules where the plan is Winograd's.
ConvGroupPlan plan_direct_conv_group(const Lowered& net, const FusionGroup& group, const MachineModel& machine);
// Whether Loop::winograd may compute the group: prepared weights, a 3x3 stride-1 conv of one group
// (lower/winograd.hpp), whole vectors of output channels, no pool.
bool winograd_may_compute(const Lowered& net, const FusionGroup& group, int vector_lanes);


// Throws kiln::Error when `plan` cannot schedule `group` (a tile that does not divide the channels,
// bands that do not cover the rows...): a plan from a tuning file is checked before it is applied.
void check_conv_group_plan(const Lowered& net, const FusionGroup& group, const ConvGroupPlan& plan);

}  // namespace kiln::codegen
