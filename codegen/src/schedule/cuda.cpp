// The `cuda` schedule (see schedule.hpp). Per conv group: one kernel whose blocks own a tile of
// output rows × columns × 32 channels; the pre-pool stage of that tile is computed into shared
// memory by the block's threads, each thread accumulating its conv value in a register, and the
// pool reads it from there. Other layers are one kernel each, threads over channels and columns.
#include "kiln/codegen/fusion.hpp"
#include "kiln/codegen/schedule.hpp"
#include "kiln/runtime/error.hpp"

namespace kiln::codegen {

using namespace Halide;

namespace {

constexpr int channel_threads = 32;  // one warp across channels: weight reads coalesce
constexpr int tile_columns = 4, tile_rows = 4;

// Blocks over (channel chunk, row × column tile, batch), threads over (channel, column, row).
void gpu_tile_4d(Lowered& net, Func f, const std::string& tag) {
    Var co(tag + "_co"), ci(tag + "_ci"), xo(tag + "_xo"), xi(tag + "_xi"), yo(tag + "_yo"), yi(tag + "_yi"),
        b(tag + "_b");
    f.split(net.c, co, ci, channel_threads, TailStrategy::GuardWithIf)
        .split(net.x, xo, xi, tile_columns, TailStrategy::GuardWithIf)
        .split(net.y, yo, yi, tile_rows, TailStrategy::GuardWithIf)
        .reorder(ci, xi, yi, co, xo, yo, net.n)
        .fuse(xo, yo, b)
        .gpu_blocks(co, b, net.n)
        .gpu_threads(ci, xi, yi);
}

void root_kernel(Lowered& net, Func f) {
    f.compute_root();
    if (f.dimensions() != 4) {  // softmax's per-pixel max and sum: one thread per pixel
        Var xo, xi;
        f.split(f.args()[0], xo, xi, 32, TailStrategy::GuardWithIf).gpu_blocks(xo).gpu_threads(xi);
        for (int u = 0; u < f.num_update_definitions(); ++u) {
            Var uxo, uxi;
            f.update(u).split(f.args()[0], uxo, uxi, 32, TailStrategy::GuardWithIf).gpu_blocks(uxo).gpu_threads(uxi);
        }
        return;
    }
    gpu_tile_4d(net, f, f.name());
    for (int u = 0; u < f.num_update_definitions(); ++u) {
        Var co, ci, xo, xi, b;
        f.update(u)
            .split(net.c, co, ci, channel_threads, TailStrategy::GuardWithIf)
            .split(net.x, xo, xi, tile_columns, TailStrategy::GuardWithIf)
            .reorder(ci, xi, co, xo, net.y, net.n)
            .fuse(net.y, net.n, b)
            .gpu_blocks(co, xo, b)
            .gpu_threads(ci, xi);
    }
}

void conv_group_kernel(Lowered& net, const FusionGroup& group) {
    ConvGroupStages stages = conv_group_stages(net, group);
    Func root = stages.stored;
    root.compute_root();
    gpu_tile_4d(net, root, root.name());
    if (stages.pool) {
        stages.tiled.compute_at(root, Var(root.name() + "_co")).gpu_threads(net.c, net.x);  // shared memory
        // Each thread's conv value accumulates in a register over the whole reduction.
        stages.conv.compute_at(stages.tiled, net.c);
    } else {
        stages.conv.compute_at(root, Var(root.name() + "_ci"));
    }
}

}  // namespace

void schedule_cuda(Lowered& net, const Target& target, const MachineModel&, const Tuning&) {
    if (!target.has_feature(Target::CUDA))
        throw Error("the cuda schedule needs a target with the cuda feature (e.g. host-cuda), got " + target.to_string());
    const std::vector<FusionGroup> groups = fusion_groups(net);
    for (const auto& group : groups) {
        if (group.starts_with_conv) {
            conv_group_kernel(net, group);
            continue;
        }
        LayerStages& l = net.layers[group.first()];
        for (auto& f : l.funcs)
            if (f.has_update_definition()) root_kernel(net, f);
        const bool inlined_into_output = is_last_layer(net, group.last());
        if (!l.output.has_update_definition() && !inlined_into_output) root_kernel(net, l.output);
    }
    if (!groups.back().starts_with_conv) root_kernel(net, net.output);
}

}  // namespace kiln::codegen
