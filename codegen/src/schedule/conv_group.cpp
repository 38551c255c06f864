// A conv group's loop nest (see conv_group.hpp): one function per loop shape of the plan, each
// placing the same stages with the same register tile.
#include "schedule/conv_group.hpp"

#include "kiln/runtime/error.hpp"

namespace kiln::codegen::detail {

using namespace Halide;

namespace {

// The weights a task reads, copied into a buffer of their own: the output channels it computes
// become the fastest axis and the input channels its reduction walks are one block apart. In the
// (o, i, kx, ky) layout, consecutive input channels are O * 4 bytes apart; at O = 128 that stride
// maps every line of W5's 100 KiB weight slice to one eighth of the 8-way L2's sets, so the
// slice streamed from L3 on every register tile (W5 at batch 1: 4.6-5.0 -> 3.7-3.8 ms).
// Weights already packed in the plan's channel blocks (PreparedWeights) are read as they are.
template <class Loop>
void pack_weights(const ConvGroupStages& stages, int vec, const Func& at, const Loop& loop) {
    if (stages.packed_weight_block > 0) return;
    Func packed = stages.zero_extended_weights.defined() ? stages.zero_extended_weights : ImageParam(stages.weights).in(stages.conv);
    packed.vectorize(packed.args()[0], vec, TailStrategy::GuardWithIf).compute_at(at, loop);
}

// Column tiles split with GuardWithIf: after unrolling, the guards of a ragged row's last tile
// depend only on the tile index, so loop partitioning peels that tile into a narrower one whose
// guards fold away (W5's 16-wide rows: 6 + 6 + 4 columns, not 3 x 6 with 2 columns computed twice,
// or computed past the edge with RoundUp). W2, W4, W5 and GoogLeNet gained 4-8 % in interleaved A/B
// pairs; W1's 24-wide rows compile to the same code.
constexpr TailStrategy column_tail = TailStrategy::GuardWithIf;

// One conv group being scheduled: its stages, plan and the loop variables every shape names.
struct Group {
    Group(Lowered& net, const FusionGroup& group, const ConvGroupPlan& plan)
        : net(net), plan(plan), stages(conv_group_stages(net, group)), spec(*net.layers[group.first()].spec),
          attrs(std::get<ConvAttrs>(spec.attrs)), vec(plan.vector_lanes), conv(stages.conv), conv_input(stages.conv_input),
          root(stages.stored), tiled(stages.tiled), pool(stages.pool), t(root.name() + "_t"), yo(root.name() + "_yo"),
          yi(root.name() + "_yi"), cb(root.name() + "_cb"), cbi(root.name() + "_cbi"), no(root.name() + "_no"),
          ni(root.name() + "_ni") {}

    Lowered& net;
    const ConvGroupPlan& plan;
    const ConvGroupStages stages;
    const LayerSpec& spec;  // the conv's
    const ConvAttrs& attrs;
    const int vec;
    Func conv, conv_input, root, tiled;
    const LayerStages* pool;
    const RDom& r() const { return stages.reduction; }
    int rows() const { return int(pool ? pool->spec->out.h : spec.out.h); }
    int columns() const { return int(pool ? pool->spec->out.w : spec.out.w); }

    // The stored stage's loops: tasks, row bands, channel blocks, images in turn (images_per_task),
    // and the register tile's channel vectors, lanes and columns.
    Var t, yo, yi, cb, cbi, no, ni, xo{"xo"}, xi{"xi"}, cv{"cv"}, cl{"cl"};

    // A register tile's inner loops, once split and ordered: lanes vectorized, channel vectors and
    // columns unrolled; where the reduction tests each column tap, the row's tiles are unrolled too,
    // so each test is a constant and an edge tile's FMAs simply leave the padded columns out.
    template <class Stage>
    void unroll_tile(Stage&& s, const VarOrRVar& columns, const VarOrRVar& tiles) {
        s.vectorize(cl).unroll(cv).unroll(columns);
        if (stages.skips_padded_columns) s.unroll(tiles);
    }

    // The conv's register tile: accumulators initialized with the bias, reduced over input channels
    // (innermost, one broadcast input value per FMA row) and kernel taps, never leaving registers.
    void conv_register_tile() {
        const Var &c = net.c, &x = net.x, &y = net.y, &n = net.n;
        conv.split(c, cv, cl, vec).reorder(cl, cv, x).vectorize(cl).unroll(cv).unroll(x);
        conv.update().split(c, cv, cl, vec).reorder(cl, cv, x, r().x, r().y, r().z, y, n).vectorize(cl).unroll(cv).unroll(x);
        if (attrs.group_input_channels(spec.in) <= 4) conv.update().unroll(r().x);
        // A depthwise conv reduces over taps alone, each FMA loading its own input vector (not a
        // broadcast): kernel columns unrolled, so neighbouring tile columns share the loads of the
        // input columns they both read (a 6-column tile of a 3x3 kernel loads 8 vectors a row, not 18).
        if (attrs.depthwise(spec.in) && attrs.kernel.w <= 7 && !stages.skips_padded_columns) conv.update().unroll(r().y);
        // Column taps tested per tile column (see unroll_tile).
        if (stages.skips_padded_columns) conv.update().unroll(r().y);
    }

    // The padded input's layout; under a pool, its rows are consumed through the sliding conv rows,
    // and Halide 14 neither slides nor folds a stage two levels down: the plan's fold bounds what
    // each task keeps (conv_group_plan.cpp).
    void vectorize_padded_input() {
        const Var& c = net.c;
        if (!conv_input.defined()) return;
        if (spec.in.c >= extent_t(vec)) conv_input.vectorize(c, vec, TailStrategy::GuardWithIf);
        // A few input channels (an RGB image): all channels of a pixel unrolled, vectors along the
        // row; Halide turns the stride-c loads and stores into shuffles. Scalar, this copy was a
        // third of W3.
        if (spec.in.c < extent_t(vec) && spec.in.c <= 4)
            conv_input.bound(c, 0, int(spec.in.c)).unroll(c).vectorize(net.x, vec, TailStrategy::GuardWithIf);
    }
    void padded_input_per_row(const Var& store, const Var& compute) {
        if (!conv_input.defined()) return;
        conv_input.store_at(root, store).compute_at(root, compute);
        if (pool && plan.fold_rows > 0) conv_input.fold_storage(net.y, plan.fold_rows);
    }
};

// Computed a row at a time inside the consumer's row loop, whole pixels per tile (the consumer
// reduces over every channel of a pixel), so the row is in L1 when the consumer's tiles read it and
// the tensor between the groups is never stored; the padded input rows slide down the consumer's
// band. No loop of its own is parallel. The row is allocated per consumer row: stored per task
// instead (Halide folds it to one row), W6 made 362 allocations a call instead of 10317 but ran
// 7-9 % slower at batch 1 in A/B runs. A consumer that reads a window of rows (a depthwise conv)
// gets them stored per task instead, so each row is computed once and slides down the window.
// (`inside` comes with a plan whose inside_consumer is set, which check_conv_group_plan accepts
// only with serial_channel_blocks.) Returns `inside`: a group computed inside this one is
// computed at the same consumer rows, before this one's.
ConvGroupLoops inside_consumer(Group& g, const ConvGroupLoops& inside, bool consumer_reads_window) {
    const Var &c = g.net.c, &x = g.net.x, &y = g.net.y, &n = g.net.n;
    if (consumer_reads_window) g.root.store_at(inside.root, inside.image);
    g.root.compute_at(inside.root, inside.row)
        .split(c, g.cb, g.cbi, g.plan.channel_block(), TailStrategy::RoundUp)
        .split(g.cbi, g.cv, g.cl, g.vec)
        .split(x, g.xo, g.xi, g.plan.tile_columns, column_tail)
        .reorder(g.cl, g.cv, g.xi, g.cb, g.xo, y, n);
    g.unroll_tile(g.root, g.xi, g.xo);
    g.conv.compute_at(g.root, g.cb);
    pack_weights(g.stages, g.vec, inside.root, inside.task);
    if (g.conv_input.defined()) g.conv_input.store_at(inside.root, inside.image).compute_at(inside.root, inside.row);
    g.conv_register_tile();
    return inside;
}

// No whole vectors of output channels: parallel over row bands, the conv computed a row at a time
// in register tiles. Where the lowering extended the weights with zeros, the conv row is computed
// over whole vectors (the last lanes' zeros never stored); else the row's last channel block is
// guarded, its lanes past the channels masked on every FMA (grouped and depthwise convs, whose
// extra lanes would read input channels that do not exist).
ConvGroupLoops channel_rows(Group& g) {
    const Var &c = g.net.c, &x = g.net.x, &y = g.net.y, &n = g.net.n;
    g.root.split(y, g.yo, g.yi, g.plan.band_rows, TailStrategy::ShiftInwards).fuse(g.yo, n, g.t).parallel(g.t);
    // The stored stage's last vector shifted inwards, not guarded, where it holds a whole vector:
    // with 4-lane vectors (SSE) Halide 14 dropped the guarded channel loop's index from a pool's
    // loads and stores, computing its first vector twice and the rest never.
    g.root.vectorize(c, g.vec, g.spec.out.c >= extent_t(g.vec) ? TailStrategy::ShiftInwards : TailStrategy::GuardWithIf);
    if (g.pool) g.tiled.store_at(g.root, g.t).compute_at(g.root, g.yi).vectorize(c, g.vec, TailStrategy::GuardWithIf);
    g.padded_input_per_row(g.t, g.yi);
    pack_weights(g.stages, g.vec, g.root, g.t);
    const TailStrategy channel_tail = g.stages.zero_extended_weights.defined() ? TailStrategy::RoundUp : TailStrategy::GuardWithIf;
    g.conv.compute_at(g.tiled, g.pool ? y : g.yi).vectorize(c, g.vec, channel_tail);
    g.conv.update()
        .split(c, g.cb, g.cbi, g.plan.channel_block(), channel_tail)
        .split(g.cbi, g.cv, g.cl, g.vec)
        .split(x, g.xo, g.xi, g.plan.tile_columns, column_tail)
        .reorder(g.cl, g.cv, g.xi, g.r().x, g.r().y, g.r().z, g.xo, g.cb, y, n);
    g.unroll_tile(g.conv.update(), g.xi, g.xo);
    return {g.root, g.yi, g.t, g.t};
}

// The weights of a channel block exceed L2: the band's conv rows computed whole, one block of input
// channels at a time, so each weight slice is read from L2 by every register tile of the band
// instead of streaming from L3 once per tile. The band's accumulators (rows x columns x block) stay
// in L2 between slices.
ConvGroupLoops reduction_blocks(Group& g) {
    const Var &c = g.net.c, &x = g.net.x, &y = g.net.y, &n = g.net.n;
    g.root.reorder(g.cbi, x, g.yi, g.cb, g.yo, n).vectorize(g.cbi, g.vec);
    g.tiled.compute_at(g.root, g.t).vectorize(c, g.vec);
    g.conv.compute_at(g.root, g.t);
    g.conv.split(c, g.cv, g.cl, g.vec).reorder(g.cl, g.cv, x).vectorize(g.cl).unroll(g.cv);
    RVar rco(g.conv.name() + "_rco"), rci(g.conv.name() + "_rci");
    g.conv.update()
        .split(g.r().x, rco, rci, g.plan.reduction_block)
        .split(c, g.cv, g.cl, g.vec)
        .split(x, g.xo, g.xi, g.plan.tile_columns, column_tail)
        .reorder(g.cl, g.cv, g.xi, rci, g.r().y, g.r().z, g.xo, y, rco, n);
    if (g.stages.skips_padded_columns) g.conv.update().unroll(g.r().y);
    g.unroll_tile(g.conv.update(), g.xi, g.xo);
    g.root.fuse(g.cb, g.yo, g.t).fuse(g.t, n, g.t).parallel(g.t);
    if (g.conv_input.defined()) g.conv_input.compute_at(g.conv, rco);
    pack_weights(g.stages, g.vec, g.conv, rco);
    return {g.root, g.yi, g.t, g.t};
}

// Register tiles of the stored stage, or, under a pool, of the conv rows sliding down each band;
// with serial_channel_blocks, a tile's channel blocks one after another at its columns.
ConvGroupLoops register_tiles(Group& g) {
    const Var &x = g.net.x, &n = g.net.n;
    // A task of several images computes them in turn (loop `ni`), after one copy of its weights;
    // what it keeps per image (padded input rows, sliding conv rows) is kept per turn. The batch is
    // known only when the pipeline runs, so its last group may be short.
    const bool grouped_images = g.plan.images_per_task > 1;
    if (grouped_images) g.root.split(n, g.no, g.ni, g.plan.images_per_task, TailStrategy::GuardWithIf);
    const Var image_groups = grouped_images ? g.no : n, image_loop = grouped_images ? g.ni : g.t;
    if (g.plan.loop == ConvGroupPlan::Loop::serial_channel_blocks) {
        // Consecutive tiles read consecutive channels of the same input pixels; the padded input
        // rows hold every channel.
        g.root.split(g.cbi, g.cv, g.cl, g.vec)
            .split(x, g.xo, g.xi, g.plan.tile_columns, column_tail)
            .reorder(g.cl, g.cv, g.xi, g.cb, g.xo, g.yi, g.yo, n);
        g.unroll_tile(g.root, g.xi, g.xo);
        g.conv.compute_at(g.root, g.cb);
        g.root.fuse(g.yo, n, g.t).parallel(g.t);
    } else if (g.pool) {
        if (grouped_images) g.root.reorder(g.cbi, x, g.yi, g.ni, g.cb, g.yo, g.no);
        else g.root.reorder(g.cbi, x, g.yi, g.cb, g.yo, n);
        g.root.vectorize(g.cbi, g.vec);
        // Slides down the band's rows: each conv row computed once per band, kept only while the
        // pooling windows need it.
        g.tiled.store_at(g.root, image_loop).compute_at(g.root, g.yi);
        g.tiled.split(x, g.xo, g.xi, g.plan.tile_columns, column_tail).split(g.net.c, g.cv, g.cl, g.vec).reorder(g.cl, g.cv, g.xi, g.xo);
        g.unroll_tile(g.tiled, g.xi, g.xo);
        g.conv.compute_at(g.tiled, g.xo);
    } else {
        g.root.split(g.cbi, g.cv, g.cl, g.vec).split(x, g.xo, g.xi, g.plan.tile_columns, column_tail);
        if (grouped_images) g.root.reorder(g.cl, g.cv, g.xi, g.xo, g.yi, g.ni, g.cb, g.yo, g.no);
        else g.root.reorder(g.cl, g.cv, g.xi, g.xo, g.yi, g.cb, g.yo, n);
        g.unroll_tile(g.root, g.xi, g.xo);
        g.conv.compute_at(g.root, g.xo);
    }
    if (g.plan.loop != ConvGroupPlan::Loop::serial_channel_blocks) g.root.fuse(g.cb, g.yo, g.t).fuse(g.t, image_groups, g.t).parallel(g.t);
    pack_weights(g.stages, g.vec, g.root, g.t);
    g.padded_input_per_row(image_loop, g.yi);
    g.conv_register_tile();
    return {g.root, g.yi, image_loop, g.t};
}

// Winograd's F(m x m, 3 x 3): the stored stage in tiles of m x m outputs, parallel over channel
// blocks x bands of tile rows x batch. Each task transforms its band's input tiles (every input
// channel), then multiplies them by its channel block's prepared kernels one transformed value at a
// time, in register tiles of channel vectors x tiles, so each value's kernels (block x input
// channels) are read from L2 by every tile of the band; the output transform reads the products
// from the band's buffer, with bias and the element-wise layers applied on the way out.
ConvGroupLoops winograd_tiles(Group& g) {
    const Var &c = g.net.c, &x = g.net.x, &y = g.net.y, &n = g.net.n;
    const int m = g.plan.winograd_tile;
    Func tiles = g.stages.winograd_input, products = g.stages.winograd_products;
    const std::vector<Var> args = products.args();  // (c, b, a, tx, ty, n)
    const Var &b = args[1], &a = args[2], &tx = args[3], &ty = args[4];
    const int side = m + 2;
    Var ym(g.root.name() + "_ym"), xm(g.root.name() + "_xm"), tyi(g.root.name() + "_tyi"), txc(g.root.name() + "_tx");
    // x and y split by m before the bands, so x % m and y % m are constants in every unrolled copy
    // and each copy reads its own products; edge tiles guarded, never shifted off the tile grid.
    g.root.split(c, g.cb, g.cbi, g.plan.channel_block(), TailStrategy::RoundUp)
        .split(g.cbi, g.cv, g.cl, g.vec)
        .split(y, g.yo, ym, m, TailStrategy::GuardWithIf)
        .split(g.yo, g.yo, tyi, g.plan.band_rows / m, TailStrategy::GuardWithIf)
        .split(x, txc, xm, m, TailStrategy::GuardWithIf)
        .reorder(g.cl, g.cv, xm, ym, txc, tyi, g.cb, g.yo, n)
        .vectorize(g.cl)
        .unroll(g.cv)
        .unroll(xm)
        .unroll(ym)
        .fuse(g.cb, g.yo, g.t)
        .fuse(g.t, n, g.t)
        .parallel(g.t);
    tiles.compute_at(g.root, g.t).bound(b, 0, side).bound(a, 0, side).vectorize(c, g.vec, TailStrategy::GuardWithIf).unroll(b).unroll(a);
    products.compute_at(g.root, g.t).bound(b, 0, side).bound(a, 0, side);
    Var pv(products.name() + "_cv"), pl(products.name() + "_cl"), to(products.name() + "_to"), ti(products.name() + "_ti");
    products.split(c, pv, pl, g.vec).reorder(pl, pv, b, a, tx).vectorize(pl).unroll(pv);
    // One transformed value (b, a) at a time: its kernels, read once per tile of the band, stay in L2.
    products.update()
        .split(c, pv, pl, g.vec)
        .split(tx, to, ti, g.plan.tile_columns, column_tail)
        .reorder(pl, pv, ti, g.r().x, to, ty, b, a, n)
        .vectorize(pl)
        .unroll(pv)
        .unroll(ti);
    return {};
}

}  // namespace

ConvGroupLoops schedule_conv_group(Lowered& net, const FusionGroup& group, const ConvGroupPlan& chosen, const ConvGroupLoops* inside) {
    check_conv_group_plan(net, group, chosen);
    const LayerStages& conv_layer = net.layers[group.first()];
    if (conv_layer.winograd_tile && (chosen.loop != ConvGroupPlan::Loop::winograd || chosen.winograd_tile != conv_layer.winograd_tile))
        throw Error("layer " + conv_layer.spec->name + ": lowered for Winograd's F(" + std::to_string(conv_layer.winograd_tile) +
                    ", 3) but its plan (" + chosen.describe() + ") is not");
    // The net lowered for planning computes the conv directly: it schedules the same tiles
    // directly, and records the Winograd packing the plan needs for the net lowered again.
    ConvGroupPlan plan = chosen;
    const bool planning_winograd = chosen.loop == ConvGroupPlan::Loop::winograd && !conv_layer.winograd_tile;
    if (planning_winograd) plan.loop = ConvGroupPlan::Loop::register_tiles, plan.winograd_tile = 0;
    Group g(net, group, plan);
    // Channel blocks split the conv's channels at multiples of channel_block(): packed in those
    // blocks, a tile's weights are one contiguous run. Row plans split nothing: their weights stay.
    if (plan.loop != ConvGroupPlan::Loop::channel_rows) net.plan_weight_packing[g.stages.weights_name] = {plan.channel_block(), chosen.winograd_tile};
    if (g.stages.packed_weight_block > 0 && (plan.loop == ConvGroupPlan::Loop::channel_rows || g.stages.packed_weight_block != plan.channel_block()))
        throw Error("layer " + g.spec.name + ": its weights are packed in blocks of " + std::to_string(g.stages.packed_weight_block) +
                    " channels but its plan (" + plan.describe() + ") reads " +
                    (plan.loop == ConvGroupPlan::Loop::channel_rows ? "rows of channels" : std::to_string(plan.channel_block()) + "-channel blocks"));
    g.vectorize_padded_input();
    if (inside) {
        const std::optional<FusionGroup> consumer = group_to_compute_inside(net, group);
        return inside_consumer(g, *inside, consumer && is_depthwise_conv(*net.layers[consumer->first()].spec));
    }
    if (plan.loop == ConvGroupPlan::Loop::winograd) {
        g.root.compute_root().bound(net.c, 0, int(g.spec.out.c)).bound(net.x, 0, g.columns()).bound(net.y, 0, g.rows());
        return winograd_tiles(g);
    }
    // The stored stage is computed over exactly its declared shape, so the band and tile splits
    // below, derived from that shape, always fit. Its consumer may need less: a pool whose stride
    // exceeds its window never reads the last conv row, and ShiftInwards then moved the one band of
    // rows up to row -1, reading the input before its first row.
    g.root.compute_root().bound(net.c, 0, int(net.layers[group.first()].spec->out.c)).bound(net.x, 0, g.columns()).bound(net.y, 0, g.rows());
    if (plan.loop == ConvGroupPlan::Loop::channel_rows) return channel_rows(g);
    g.root.split(net.c, g.cb, g.cbi, plan.channel_block(), TailStrategy::RoundUp)
        .split(net.y, g.yo, g.yi, plan.band_rows, TailStrategy::ShiftInwards);
    if (plan.loop == ConvGroupPlan::Loop::reduction_blocks) return reduction_blocks(g);
    return register_tiles(g);
}

}  // namespace kiln::codegen::detail
