// CPU schedule pieces (see cpu_schedule_parts.hpp).
#include "schedule/cpu_parts.hpp"

#include <algorithm>

#include "kiln/runtime/error.hpp"

namespace kiln::codegen::detail {

using namespace Halide;

namespace {

// The weights a task reads, copied into a buffer of their own: the output channels it computes
// become the fastest axis and the input channels its reduction walks are one block apart. In the
// (o, i, kx, ky) layout, consecutive input channels are O * 4 bytes apart; at O = 128 that stride
// maps every line of W5's 100 KiB weight slice to one eighth of the 8-way L2's sets, so the
// slice streamed from L3 on every register tile (W5 at batch 1: 4.6-5.0 -> 3.7-3.8 ms).
Func pack_weights(const ConvGroupStages& stages, int vec) {
    Func packed = ImageParam(stages.weights).in(stages.conv);
    packed.vectorize(packed.args()[0], vec, TailStrategy::GuardWithIf);
    return packed;
}

}  // namespace

namespace {

// A dense layer reads each weight once a call, so at batch 1 it runs as fast as its weights stream
// in: GoogLeNet's 4 MB classifier ran as one task, one vector of units at a time, its 1024 FMAs a
// chain each waiting on the last (0.45-0.50 ms). Tiles of 4 vectors of units accumulate over the
// whole input in registers (4 independent chains, the row's 4 weight vectors one full line each),
// and the tiles run in parallel.
void schedule_dense(Lowered& net, const LayerStages& l, const MachineModel& machine) {
    const int vec = machine.vector_lanes, tile = 4 * vec;
    const Var &c = net.c, &x = net.x, &y = net.y, &n = net.n;
    Func dense = l.output;
    const RDom& r = l.rdoms.front();
    Var cb(dense.name() + "_cb"), ci(dense.name() + "_ci"), cv(dense.name() + "_cv"), cl(dense.name() + "_cl"), t(dense.name() + "_t");
    dense.compute_root().vectorize(c, vec, TailStrategy::GuardWithIf);
    dense.update()
        .split(c, cb, ci, tile, TailStrategy::GuardWithIf)
        .split(ci, cv, cl, vec, TailStrategy::GuardWithIf)
        .reorder(cl, cv, r.x, r.y, r.z, x, cb, y, n)
        .vectorize(cl)
        .unroll(cv)
        .fuse(cb, y, t)
        .fuse(t, n, t)
        .parallel(t);
}

}  // namespace

void schedule_layer_at_root(Lowered& net, std::size_t layer, const MachineModel& machine) {
    const int vec = machine.vector_lanes;
    if (std::holds_alternative<DenseAttrs>(net.layers[layer].spec->attrs)) return schedule_dense(net, net.layers[layer], machine);
    auto root = [&](Func f) {
        f.compute_root();
        if (f.dimensions() != 4) return;  // softmax's per-pixel max and sum stay scalar
        Var t(f.name() + "_t");
        auto parallel_vector = [&](auto stage) {
            stage.fuse(net.y, net.n, t).parallel(t).vectorize(net.c, vec, TailStrategy::GuardWithIf);
        };
        parallel_vector(f);
        for (int u = 0; u < f.num_update_definitions(); ++u) parallel_vector(f.update(u));
    };
    LayerStages& l = net.layers[layer];
    // Softmax's exps are read once for the sum and once for the result: store them rather than
    // evaluate each exp C + 1 times.
    const bool store_every_stage = std::holds_alternative<SoftmaxAttrs>(l.spec->attrs);
    for (auto& f : l.funcs)
        if (f.has_update_definition() || (store_every_stage && f.name() != l.output.name())) root(f);
    const bool inlined_into_output = is_last_layer(net, layer) && !l.output.has_update_definition();
    if (!l.output.has_update_definition() && !inlined_into_output) root(l.output);
}

void schedule_net_output(Lowered& net, const MachineModel& machine) {
    Var t("output_t");
    net.output.compute_root()
        .fuse(net.y, net.n, t)
        .parallel(t)
        .vectorize(net.c, machine.vector_lanes, TailStrategy::GuardWithIf);
}

ConvGroupLoops schedule_conv_group(Lowered& net, const FusionGroup& group, const ConvGroupPlan& plan, const ConvGroupLoops* inside) {
    check_conv_group_plan(net, group, plan);
    const Var &c = net.c, &x = net.x, &y = net.y, &n = net.n;
    const int vec = plan.vector_lanes;
    const Shape conv_out = net.layers[group.first()].spec->out;
    const Shape conv_in = net.layers[group.first()].spec->in;
    const ConvAttrs& conv_attrs = std::get<ConvAttrs>(net.layers[group.first()].spec->attrs);
    const ConvGroupStages stages = conv_group_stages(net, group);
    Func conv = stages.conv, conv_input = stages.conv_input, root = stages.stored, tiled = stages.tiled;
    const RDom& r = stages.reduction;
    const LayerStages* pool = stages.pool;
    const int rows = int(pool ? pool->spec->out.h : conv_out.h);
    const int channels = int(conv_out.c);
    if (conv_input.defined() && conv_in.c >= extent_t(vec)) conv_input.vectorize(c, vec, TailStrategy::GuardWithIf);
    // A few input channels (an RGB image): all channels of a pixel unrolled, vectors along the row;
    // Halide turns the stride-c loads and stores into shuffles. Scalar, this copy was a third of W3.
    if (conv_input.defined() && conv_in.c < extent_t(vec) && conv_in.c <= 4)
        conv_input.bound(c, 0, int(conv_in.c)).unroll(c).vectorize(x, vec, TailStrategy::GuardWithIf);
    // Under a pool, the padded input's rows are consumed through the sliding conv rows, and Halide
    // 14 neither slides nor folds a stage two levels down: the plan's fold bounds what each task
    // keeps (plan_conv_group.cpp).
    const auto fold_padded_input = [&] {
        if (pool && plan.fold_rows > 0) conv_input.fold_storage(y, plan.fold_rows);
    };

    Var t(root.name() + "_t"), yo(root.name() + "_yo"), yi(root.name() + "_yi");
    Var cb(root.name() + "_cb"), cbi(root.name() + "_cbi"), xo("xo"), xi("xi"), cv("cv"), cl("cl");
    // The register tile: accumulators initialized with the bias, reduced over input channels
    // (innermost, one broadcast input value per FMA row) and kernel taps, never leaving registers.
    const auto schedule_register_tile = [&] {
        conv.split(c, cv, cl, vec).reorder(cl, cv, x).vectorize(cl).unroll(cv).unroll(x);
        conv.update()
            .split(c, cv, cl, vec)
            .reorder(cl, cv, x, r.x, r.y, r.z, y, n)
            .vectorize(cl)
            .unroll(cv)
            .unroll(x);
        if (conv_attrs.group_input_channels(conv_in) <= 4) conv.update().unroll(r.x);
        // A depthwise conv reduces over taps alone, each FMA loading its own input vector (not a
        // broadcast): kernel columns unrolled, so neighbouring tile columns share the loads of the
        // input columns they both read (a 6-column tile of a 3x3 kernel loads 8 vectors a row, not 18).
        if (conv_attrs.depthwise(conv_in) && conv_attrs.kernel.w <= 7 && !stages.skips_padded_columns) conv.update().unroll(r.y);
        // Column taps tested per tile column: with the tiles and kernel columns unrolled the tests
        // are constants, and an edge tile's rows of FMAs simply leave the padded columns out.
        if (stages.skips_padded_columns) conv.update().unroll(r.y);
    };

    if (inside) {
        // Computed a row at a time inside the consumer's row loop, whole pixels per tile (the
        // consumer reduces over every channel of a pixel), so the row is in L1 when the
        // consumer's tiles read it and the tensor between the groups is never stored; the padded
        // input rows slide down the consumer's band. No loop of its own is parallel. The row is
        // allocated per consumer row: stored per task instead (Halide folds it to one row), W6 made
        // 362 allocations a call instead of 10317 but ran 7-9 % slower at batch 1 in A/B runs.
        // (`inside` comes with a plan whose inside_consumer is set, which check_conv_group_plan above
        // accepts only with serial_channel_blocks.)
        root.compute_at(inside->root, inside->row)
            .split(c, cb, cbi, plan.channel_block(), TailStrategy::RoundUp)
            .split(cbi, cv, cl, vec)
            .split(x, xo, xi, plan.tile_columns, TailStrategy::GuardWithIf)
            .reorder(cl, cv, xi, cb, xo, y, n)
            .vectorize(cl)
            .unroll(cv)
            .unroll(xi);
        if (stages.skips_padded_columns) root.unroll(xo);
        conv.compute_at(root, cb);
        pack_weights(stages, vec).compute_at(inside->root, inside->task);
        if (conv_input.defined()) conv_input.store_at(inside->root, inside->image).compute_at(inside->root, inside->row);
        schedule_register_tile();
        return {};
    }

    // The stored stage is computed over exactly its declared shape, so the band and tile splits
    // below, derived from that shape, always fit. Its consumer may need less: a pool whose stride
    // exceeds its window never reads the last conv row, and ShiftInwards then moved the one band of
    // rows up to row -1, reading the input before its first row.
    root.compute_root().bound(c, 0, channels).bound(x, 0, int(pool ? pool->spec->out.w : conv_out.w)).bound(y, 0, rows);

    if (plan.loop == ConvGroupPlan::Loop::channel_rows) {
        // No whole vectors of output channels: parallel over row bands, conv computed a row at a
        // time, vectorized with a guard.
        root.split(y, yo, yi, plan.band_rows, TailStrategy::ShiftInwards).fuse(yo, n, t).parallel(t);
        root.vectorize(c, vec, TailStrategy::GuardWithIf);
        if (pool) tiled.store_at(root, t).compute_at(root, yi).vectorize(c, vec, TailStrategy::GuardWithIf);
        if (conv_input.defined()) {
            conv_input.store_at(root, t).compute_at(root, yi);
            fold_padded_input();
        }
        pack_weights(stages, vec).compute_at(root, t);
        conv.compute_at(tiled, pool ? y : yi).vectorize(c, vec, TailStrategy::GuardWithIf);
        conv.update().vectorize(c, vec, TailStrategy::GuardWithIf);
        return {root, yi, t, t};
    }

    // Column tiles split with GuardWithIf: after unrolling, the guards of a ragged row's last tile
    // depend only on the tile index, so loop partitioning peels that tile into a narrower one
    // whose guards fold away (W5's 16-wide rows: 6 + 6 + 4 columns, not 3 x 6 with 2 columns
    // computed twice, or computed past the edge with RoundUp). W2, W4, W5 and GoogLeNet gained
    // 4-8 % in interleaved A/B pairs; W1's 24-wide rows compile to the same code.
    const TailStrategy column_tail = TailStrategy::GuardWithIf;
    root.split(c, cb, cbi, plan.channel_block(), TailStrategy::RoundUp).split(y, yo, yi, plan.band_rows, TailStrategy::ShiftInwards);
    // A task of several images computes them in turn (loop `ni`), after one copy of its weights;
    // what it keeps per image (padded input rows, sliding conv rows) is kept per turn. The batch
    // is known only when the pipeline runs, so its last group may be short.
    const bool grouped_images = plan.images_per_task > 1;
    Var no(root.name() + "_no"), ni(root.name() + "_ni");
    if (grouped_images) root.split(n, no, ni, plan.images_per_task, TailStrategy::GuardWithIf);
    const Var image_groups = grouped_images ? no : n, image_loop = grouped_images ? ni : t;
    if (plan.loop == ConvGroupPlan::Loop::reduction_blocks) {
        // The weights of a channel block exceed L2: compute the band's conv rows whole, one block
        // of input channels at a time, so each weight slice is read from L2 by every register
        // tile of the band instead of streaming from L3 once per tile. The band's accumulators
        // (rows x columns x block) stay in L2 between slices.
        root.reorder(cbi, x, yi, cb, yo, n).vectorize(cbi, vec);
        tiled.compute_at(root, t).vectorize(c, vec);
        conv.compute_at(root, t);
        conv.split(c, cv, cl, vec).reorder(cl, cv, x).vectorize(cl).unroll(cv);
        RVar rco(conv.name() + "_rco"), rci(conv.name() + "_rci");
        conv.update()
            .split(r.x, rco, rci, plan.reduction_block)
            .split(c, cv, cl, vec)
            .split(x, xo, xi, plan.tile_columns, column_tail)
            .reorder(cl, cv, xi, rci, r.y, r.z, xo, y, rco, n)
            .vectorize(cl)
            .unroll(cv)
            .unroll(xi);
        if (stages.skips_padded_columns) conv.update().unroll(r.y).unroll(xo);
        root.fuse(cb, yo, t).fuse(t, n, t).parallel(t);
        if (conv_input.defined()) conv_input.compute_at(conv, rco);
        pack_weights(stages, vec).compute_at(conv, rco);
        return {root, yi, t, t};
    }
    if (plan.loop == ConvGroupPlan::Loop::serial_channel_blocks) {
        // A tile's channel blocks one after another at its columns, so consecutive tiles read
        // consecutive channels of the same input pixels; the padded input rows hold every channel.
        root.split(cbi, cv, cl, vec)
            .split(x, xo, xi, plan.tile_columns, column_tail)
            .reorder(cl, cv, xi, cb, xo, yi, yo, n)
            .vectorize(cl)
            .unroll(cv)
            .unroll(xi);
        if (stages.skips_padded_columns) root.unroll(xo);
        conv.compute_at(root, cb);
        root.fuse(yo, n, t).parallel(t);
    } else if (pool) {
        if (grouped_images) root.reorder(cbi, x, yi, ni, cb, yo, no);
        else root.reorder(cbi, x, yi, cb, yo, n);
        root.vectorize(cbi, vec);
        // Slides down the band's rows: each conv row computed once per band, kept only while
        // the pooling windows need it.
        tiled.store_at(root, image_loop).compute_at(root, yi);
        tiled.split(x, xo, xi, plan.tile_columns, column_tail)
            .split(c, cv, cl, vec)
            .reorder(cl, cv, xi, xo)
            .vectorize(cl)
            .unroll(cv)
            .unroll(xi);
        if (stages.skips_padded_columns) tiled.unroll(xo);
        conv.compute_at(tiled, xo);
    } else {
        root.split(cbi, cv, cl, vec).split(x, xo, xi, plan.tile_columns, column_tail);
        if (grouped_images) root.reorder(cl, cv, xi, xo, yi, ni, cb, yo, no);
        else root.reorder(cl, cv, xi, xo, yi, cb, yo, n);
        root.vectorize(cl)
            .unroll(cv)
            .unroll(xi);
        if (stages.skips_padded_columns) root.unroll(xo);
        conv.compute_at(root, xo);
    }
    if (plan.loop != ConvGroupPlan::Loop::serial_channel_blocks) root.fuse(cb, yo, t).fuse(t, image_groups, t).parallel(t);
    pack_weights(stages, vec).compute_at(root, t);
    if (conv_input.defined()) {
        conv_input.store_at(root, image_loop).compute_at(root, yi);
        fold_padded_input();
    }

    schedule_register_tile();
    return {root, yi, image_loop, t};
}

ConvGroupPlan choose_conv_group_plan(const Lowered& net, const FusionGroup& group, const MachineModel& machine, const Tuning& tuning,
                                     std::string& source) {
    const TunedPlan* tuned = tuning.find(tuning_key(machine, net, group));
    const ConvGroupPlan cost_model = plan_conv_group(net, group, machine);
    const ConvGroupPlan plan = tuned ? tuned->plan : cost_model;
    const std::string& layer = net.layers[group.first()].spec->name;
    // The target's vectors, or the narrower ones the cost model takes for these channels; a file
    // written before kiln narrowed them holds the target's, and such a plan still schedules.
    if (tuned && plan.vector_lanes != machine.vector_lanes && plan.vector_lanes != cost_model.vector_lanes)
        throw Error("tuned plan for layer " + layer + " uses " + std::to_string(plan.vector_lanes) + "-lane vectors, the target " +
                    std::to_string(machine.vector_lanes) + (cost_model.vector_lanes != machine.vector_lanes
                                                                ? " (or " + std::to_string(cost_model.vector_lanes) + " for these channels)"
                                                                : std::string()));
    if (tuned && plan.batch != std::max(1, net.batch_estimate))
        throw Error("tuned plan for layer " + layer + " was made for batch " + std::to_string(plan.batch) + ", the net plans for " +
                    std::to_string(std::max(1, net.batch_estimate)));
    source = !tuned ? "cost model" : plan == cost_model ? "tuned: the cost model's plan measured best" : "tuned";
    return plan;
}

std::string plan_line(const Lowered& net, const FusionGroup& group, const ConvGroupPlan& plan, const std::string& source) {
    std::string line = net.layers[group.first()].spec->name;
    if (group.fused()) line += ".." + net.layers[group.last()].spec->name;
    return line + ": " + plan.describe() + " (" + source + ")";
}

void plan_and_schedule_conv_group(Lowered& net, const FusionGroup& group, const MachineModel& machine, const Tuning& tuning) {
    std::string source;
    ConvGroupPlan plan = choose_conv_group_plan(net, group, machine, tuning, source);
    plan.inside_consumer = 0;  // every group stored: what this schedules (`unfused`) does
    net.schedule_plan += plan_line(net, group, plan, source) + "\n";
    schedule_conv_group(net, group, plan);
}

}  // namespace kiln::codegen::detail
