// Plan variants for the tuner (see plan_space.hpp).
#include "kiln/codegen/plan_space.hpp"

#include <algorithm>
#include <set>

#include "kiln/runtime/error.hpp"
#include "plan/plan_rules.hpp"

namespace kiln::codegen {

using namespace detail;

namespace {

struct Scored {
    ConvGroupPlan plan;
    double score = 0;
};

// Keeps the plans that pass the check and differ from `from` and from each other, best first.
std::vector<ConvGroupPlan> valid_distinct(const Lowered& net, const FusionGroup& group, const ConvGroupPlan& from,
                                          std::vector<Scored> scored) {
    std::stable_sort(scored.begin(), scored.end(), [](const Scored& a, const Scored& b) { return a.score > b.score; });
    std::vector<ConvGroupPlan> out;
    for (const Scored& s : scored) {
        if (s.plan == from || std::find(out.begin(), out.end(), s.plan) != out.end()) continue;
        try {
            check_conv_group_plan(net, group, s.plan);
        } catch (const Error&) {
            continue;
        }
        out.push_back(s.plan);
    }
    return out;
}

// Every register tile that fits the registers (accumulators, weight vectors, one broadcast, one
// spare) and issues at least as many FMAs as it loads values, scored by useful FMAs per step.
std::vector<Scored> tile_variants(const Lowered& net, const FusionGroup& group, const MachineModel& machine,
                                  const ConvGroupPlan& from) {
    std::vector<Scored> out;
    const LayerSpec& conv = *net.layers[group.first()].spec;
    const bool ragged = from.loop == ConvGroupPlan::Loop::channel_rows;  // the last vector partly past the channels
    // A Winograd plan's register tile spans tiles of a tile row, not columns of a row.
    const int m = from.loop == ConvGroupPlan::Loop::winograd ? from.winograd_tile : 1;
    const int channel_vectors = int(conv.out.c + from.vector_lanes - 1) / from.vector_lanes, width = int(conv.out.w + m - 1) / m,
              rows = stored_rows(net, group);
    const int registers = machine.vector_registers;
    for (int v = 1; v <= std::min(4, channel_vectors); ++v) {
        if (channel_vectors % v) continue;
        for (int cols = 1; cols <= std::min(width, max_tile_columns(v, registers)); ++cols) {
            if (!loads_at_most_one_per_fma(v, cols) && !(v == 1 && cols > 1)) continue;
            ConvGroupPlan p = from;
            p.tile_vectors = v;
            p.tile_columns = cols;
            p.channel_blocks = ragged ? 1 : channel_vectors / v;  // a ragged row's blocks are a loop inside its task
            if (m > 1) {
                set_winograd_bands(p, net, group, machine);
            } else {
                set_bands(p, rows, row_bands(rows, p.batch * p.parallel_channel_blocks(), machine.cores));
                p.fold_rows = padded_input_fold_for(net, group, p.band_rows);
                set_images_per_task(p, machine.cores);
            }
            const int tiles = (width + cols - 1) / cols;
            out.push_back({p, double(v) * cols * width / (tiles * cols)});
        }
    }
    return out;
}

// Band counts from one to four per core: fewer bands recompute fewer shared conv rows, more
// balance the cores when the tasks are few.
std::vector<Scored> band_variants(const Lowered& net, const FusionGroup& group, const MachineModel& machine,
                                  const ConvGroupPlan& from) {
    std::vector<Scored> out;
    if (from.inside_consumer) return out;  // its rows are the next group's
    const int rows = stored_rows(net, group);
    std::set<int> counts = {1, 2, 3, 4, 6, 8};
    for (int k = 1; k <= 4; ++k) counts.insert(k * machine.cores);
    const int m = from.loop == ConvGroupPlan::Loop::winograd ? from.winograd_tile : 1;
    for (int bands : counts) {
        if (bands > (rows + m - 1) / m) continue;
        ConvGroupPlan p = from;
        if (m > 1) {
            set_winograd_bands(p, net, group, machine, bands);  // bands of whole tile rows
        } else {
            set_bands(p, rows, bands);
            p.fold_rows = padded_input_fold_for(net, group, p.band_rows);
            set_images_per_task(p, machine.cores);
        }
        // Closest to the cost model's band count first.
        out.push_back({p, -double(std::abs(p.row_bands - from.row_bands))});
    }
    return out;
}

// Under a pool: plain register tiles, or reduction blocks of half, a quarter... of the input
// channels (at least 8), whichever the cost model did not choose.
std::vector<Scored> reduction_variants(const Lowered& net, const FusionGroup& group, const MachineModel& machine,
                                       const ConvGroupPlan& from) {
    std::vector<Scored> out;
    if (from.loop == ConvGroupPlan::Loop::channel_rows || !group_pool(net, group)) return out;
    const LayerSpec& conv = *net.layers[group.first()].spec;
    const int in_channels = int(std::get<ConvAttrs>(conv.attrs).group_input_channels(conv.in));  // the reduction's
    ConvGroupPlan tiles = from;
    tiles.loop = ConvGroupPlan::Loop::register_tiles;
    tiles.reduction_block = 0;
    set_images_per_task(tiles, machine.cores);
    out.push_back({tiles, 0});
    for (int divisor = 2; in_channels / divisor >= 8; divisor *= 2) {
        if (in_channels % divisor) break;
        ConvGroupPlan blocks = from;
        blocks.loop = ConvGroupPlan::Loop::reduction_blocks;
        blocks.reduction_block = in_channels / divisor;
        blocks.images_per_task = 1;
        out.push_back({blocks, -double(divisor)});
    }
    return out;
}

// Register tiles at batch > 1: every divisor of the batch as the images a task computes in turn,
// while each core still gets a task; closest to the cost model's count first.
std::vector<Scored> images_per_task_variants(const MachineModel& machine, const ConvGroupPlan& from) {
    std::vector<Scored> out;
    if (from.loop != ConvGroupPlan::Loop::register_tiles) return out;
    for (int k = 1; k <= from.batch; ++k) {
        ConvGroupPlan p = from;
        p.images_per_task = k;
        if (from.batch % k == 0 && p.tasks() >= machine.cores) out.push_back({p, -double(std::abs(k - from.images_per_task))});
    }
    return out;
}

// A group that may be computed inside the next group's tasks: the other choice of the two (inside,
// its channel blocks in turn at each tile, whole pixels per tile).
std::vector<Scored> inside_consumer_variants(const Lowered& net, const FusionGroup& group, const ConvGroupPlan& from) {
    if (from.loop == ConvGroupPlan::Loop::channel_rows || from.loop == ConvGroupPlan::Loop::winograd || !group_to_compute_inside(net, group))
        return {};
    ConvGroupPlan p = from;
    p.inside_consumer = from.inside_consumer ? 0 : 1;
    if (p.inside_consumer) p.loop = ConvGroupPlan::Loop::serial_channel_blocks, p.images_per_task = 1;
    return {{p, 0}};
}

// A conv Winograd may compute (prepared weights, 3x3 stride 1): the direct plan and both tiles,
// whichever `from` is not, cheapest estimate first.
std::vector<Scored> algorithm_variants(const Lowered& net, const FusionGroup& group, const MachineModel& machine, const ConvGroupPlan& from) {
    const ConvGroupPlan direct = plan_direct_conv_group(net, group, machine);
    if (!winograd_may_compute(net, group, direct.vector_lanes)) return {};
    const LayerSpec& conv = *net.layers[group.first()].spec;
    const int batch = std::max(1, from.batch);
    std::vector<Scored> out{{direct, -direct_cost(conv, batch)}};
    for (int m : {2, 4}) out.push_back({winograd_plan(net, group, machine, m, direct), -winograd_cost(conv, batch, m)});
    return out;
}

}  // namespace

std::vector<ConvGroupPlan> plan_variants(const Lowered& net, const FusionGroup& group, const MachineModel& machine,
                                         const ConvGroupPlan& from, PlanAxis axis) {
    switch (axis) {
        case PlanAxis::register_tile: return valid_distinct(net, group, from, tile_variants(net, group, machine, from));
        case PlanAxis::row_bands: return valid_distinct(net, group, from, band_variants(net, group, machine, from));
        case PlanAxis::reduction: return valid_distinct(net, group, from, reduction_variants(net, group, machine, from));
        case PlanAxis::images_per_task: return valid_distinct(net, group, from, images_per_task_variants(machine, from));
        case PlanAxis::inside_consumer: return valid_distinct(net, group, from, inside_consumer_variants(net, group, from));
        case PlanAxis::algorithm: return valid_distinct(net, group, from, algorithm_variants(net, group, machine, from));
    }
    return {};
}

}  // namespace kiln::codegen
