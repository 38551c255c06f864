// CPU schedule pieces (see cpu_schedule_parts.hpp).
#include "cpu_schedule_parts.hpp"

#include <algorithm>
#include <cmath>
#include <thread>
#include <unistd.h>

namespace kiln::codegen::detail {

using namespace Halide;

namespace {

int vector_width(const Target& t) { return t.natural_vector_size<float>(); }

// Vector registers: AVX-512 has 32, AVX2 16. A register tile of v channel vectors x k columns
// holds v*k accumulators, its v weight vectors and one broadcast input value, and leaves one
// register spare: W5's 4 x 3 tile on AVX2 (17) spilled and ran at half speed, W4's 3 x 4 (exactly
// 16) ran 5-20 % slower than 2 x 6 in three A/B runs.
int vector_registers(const Target& t) { return t.has_feature(Target::AVX512) ? 32 : 16; }

int hardware_threads() { return int(std::max(1u, std::thread::hardware_concurrency())); }

// The compiling machine's per-core L2 (AOT kernels are tuned for it too); 1 MiB if unknown.
long l2_cache_bytes() {
    const long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
    return l2 > 0 ? l2 : 1L << 20;
}

// Input channels per reduction block when a channel block's weights would not stay in L2 across
// the register tiles: the largest divisor of `in_channels` whose weight slice fits a quarter of L2
// (the rest holds the block's accumulators and its input rows). 0: no blocking needed.
int reduction_block(int in_channels, int taps, int out_channels, long l2) {
    const auto slice = [&](int ci) { return 4L * taps * ci * out_channels; };
    if (slice(in_channels) <= l2 / 2) return 0;
    for (int ci = in_channels / 2; ci >= 1; --ci)
        if (in_channels % ci == 0 && slice(ci) <= l2 / 4) return ci;
    return 1;
}

struct RegisterTile {
    int vectors = 1;  // output-channel vectors per tile
    int columns = 1;  // output columns per tile
};

// The largest tile that fits the registers, discounting the narrower last tile of a ragged row
// (it issues fewer FMAs per load and per loop iteration), that loads at most one value (weight
// vector or broadcast input) per FMA: a 1 x 24 tile would load 25 per 24 FMAs and run a third
// slower than 2 x 12 on W1. Between equal tiles, `prefer_narrow` picks fewer channels: more
// channel blocks to run in parallel.
RegisterTile choose_register_tile(int channel_vectors, int width, const Target& t, bool prefer_narrow, int max_vectors = 4) {
    RegisterTile best;
    double best_score = 0, best_useful = 0;
    const int registers = vector_registers(t);
    for (int v = std::min(max_vectors, channel_vectors); v >= 1; --v) {
        if (channel_vectors % v) continue;
        // At most 3/4 of the registers as accumulators (2 x 12 measured best on AVX-512 for W1).
        const int max_cols = std::min((registers - v - 2) / v, registers * 3 / 4 / v);
        for (int cols = std::min(max_cols, width); cols >= 1; --cols) {
            if (v + cols > v * cols) continue;
            const int tiles = (width + cols - 1) / cols;
            const double useful = double(width) / (tiles * cols);  // of the tile slots run
            const double score = v * cols * useful;
            // Between equal scores the tile with the fuller last tile wins (4 x 4 over a 4 x 6
            // that runs a 6- and a 2-column tile for an 8-wide row), then the narrower if asked.
            const bool tie = std::abs(score - best_score) < 1e-9;
            if (score > best_score + 1e-9 || (tie && useful > best_useful + 1e-9) ||
                (tie && std::abs(useful - best_useful) < 1e-9 && prefer_narrow))
                best_score = score, best_useful = useful, best = {v, cols};
        }
    }
    return best;
}

// Row bands per image: only as many as needed to give every thread work once batch and channel
// blocks are counted, since each band recomputes the conv rows its pooling windows share.
int row_bands(int rows, int independent_tasks) {
    const int threads = hardware_threads();
    if (independent_tasks >= threads) return 1;
    return std::min(rows, (threads + independent_tasks - 1) / independent_tasks);
}

// Under a pool, the padded input's rows are consumed through the sliding conv rows, and Halide 14
// neither slides nor folds a stage two levels down: it kept each task's whole padded input (W4:
// 861 KiB beside the weights in a 512 KiB L2; fused slower than unfused at batch 1). Fold it to the
// input rows one pooled row reads, rounded up to a power of two.
void fold_to_pooled_row(Func conv_input, const Lowered& net, const FusionGroup& group, const LayerStages& pool) {
    const auto& conv = std::get<ConvAttrs>(net.layers[group.first()].spec->attrs);
    const auto& window = std::get<PoolAttrs>(pool.spec->attrs).window;
    const extent_t pool_stride = std::get<PoolAttrs>(pool.spec->attrs).stride.h;
    // A pool whose stride exceeds its window leaves conv rows unread, and Halide 14's fold check
    // then saw the folded rows accessed out of order (a 1x1/2 pool over a stride-2 conv): such a
    // pool, absent from real nets, keeps each task's whole padded input.
    if (pool_stride > window.h) return;
    // The fold holds the input rows of two pooled steps' conv rows (window + stride): with a
    // strided conv Halide 14 read one step's rows beyond a fold sized for the window alone (the
    // soak found 2 such shapes). On W1-W5 this keeps the old fold or doubles a few KiB of rows.
    const extent_t conv_rows = window.h + pool_stride;
    const extent_t rows = input_span(conv_rows, conv.kernel.h, conv.stride.h, conv.dilation.h);
    int fold = 1;
    while (fold < rows) fold *= 2;
    conv_input.fold_storage(net.y, fold);
}

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

void schedule_layer_at_root(Lowered& net, std::size_t layer, const Target& target) {
    const int vec = vector_width(target);
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

void schedule_net_output(Lowered& net, const Target& target) {
    Var t("output_t");
    net.output.compute_root()
        .fuse(net.y, net.n, t)
        .parallel(t)
        .vectorize(net.c, vector_width(target), TailStrategy::GuardWithIf);
}

void schedule_conv_group(Lowered& net, const FusionGroup& group, const Target& target) {
    const Var &c = net.c, &x = net.x, &y = net.y, &n = net.n;
    const int vec = vector_width(target);
    const Shape conv_out = net.layers[group.first()].spec->out;
    const Shape conv_in = net.layers[group.first()].spec->in;
    const ConvGroupStages stages = conv_group_stages(net, group);
    Func conv = stages.conv, conv_input = stages.conv_input, root = stages.stored, tiled = stages.tiled;
    const RDom& r = stages.reduction;
    const LayerStages* pool = stages.pool;
    const int rows = int(pool ? pool->spec->out.h : conv_out.h);
    const int channels = int(conv_out.c);
    const int batch = std::max(1, net.batch_estimate);
    if (conv_input.defined() && conv_in.c >= extent_t(vec)) conv_input.vectorize(c, vec, TailStrategy::GuardWithIf);
    // A few input channels (an RGB image): all channels of a pixel unrolled, vectors along the row;
    // Halide turns the stride-c loads and stores into shuffles. Scalar, this copy was a third of W3.
    if (conv_input.defined() && conv_in.c < extent_t(vec) && conv_in.c <= 4)
        conv_input.bound(c, 0, int(conv_in.c)).unroll(c).vectorize(x, vec, TailStrategy::GuardWithIf);

    Var t(root.name() + "_t"), yo(root.name() + "_yo"), yi(root.name() + "_yi");
    Var cb(root.name() + "_cb"), cbi(root.name() + "_cbi"), xo("xo"), xi("xi"), cv("cv"), cl("cl");
    // The stored stage is computed over exactly its declared shape, so the band and tile splits
    // below, derived from that shape, always fit. Its consumer may need less: a pool whose stride
    // exceeds its window never reads the last conv row, and ShiftInwards then moved the one band of
    // rows up to row -1, reading the input before its first row.
    root.compute_root().bound(c, 0, channels).bound(x, 0, int(pool ? pool->spec->out.w : conv_out.w)).bound(y, 0, rows);

    if (channels % vec != 0) {
        // No whole vectors of output channels: parallel over row bands, conv computed a row at a
        // time, vectorized with a guard.
        const int bands = row_bands(rows, batch);
        root.split(y, yo, yi, (rows + bands - 1) / bands, TailStrategy::ShiftInwards).fuse(yo, n, t).parallel(t);
        root.vectorize(c, vec, TailStrategy::GuardWithIf);
        if (pool) tiled.store_at(root, t).compute_at(root, yi).vectorize(c, vec, TailStrategy::GuardWithIf);
        if (conv_input.defined()) {
            conv_input.store_at(root, t).compute_at(root, yi);
            if (pool) fold_to_pooled_row(conv_input, net, group, *pool);
        }
        pack_weights(stages, vec).compute_at(root, t);
        conv.compute_at(tiled, pool ? y : yi).vectorize(c, vec, TailStrategy::GuardWithIf);
        conv.update().vectorize(c, vec, TailStrategy::GuardWithIf);
        return;
    }

    // Parallel tasks: batch x channel blocks x row bands. Channel blocks cost nothing extra (conv,
    // element-wise and pool are all per channel), so they are preferred to row bands.
    const Extent2 kernel = std::get<ConvAttrs>(net.layers[group.first()].spec->attrs).kernel;
    const int taps = int(kernel.h * kernel.w), in_channels = int(conv_in.c);
    RegisterTile tile = choose_register_tile(channels / vec, int(conv_out.w), target, batch < hardware_threads());
    int rblock = pool ? reduction_block(in_channels, taps, tile.vectors * vec, l2_cache_bytes()) : 0;
    if (rblock > 0) {
        // At most two channel vectors: W5's second conv at batch 128 on AVX-512 ran 2 x 8 in 97 ms,
        // 4 x 4 in 126 ms; on AVX2, 2 x 6 (6 + 6 + 4 columns over a 16-wide row) beats 2 x 4.
        tile = choose_register_tile(channels / vec, int(conv_out.w), target, true, 2);
        rblock = reduction_block(in_channels, taps, tile.vectors * vec, l2_cache_bytes());
    }
    // Column tiles split with GuardWithIf: after unrolling, the guards of a ragged row's last tile
    // depend only on the tile index, so loop partitioning peels that tile into a narrower one
    // whose guards fold away (W5's 16-wide rows: 6 + 6 + 4 columns, not 3 x 6 with 2 columns
    // computed twice, or computed past the edge with RoundUp). W2, W4, W5 and GoogLeNet gained
    // 4-8 % in interleaved A/B pairs; W1's 24-wide rows compile to the same code.
    const TailStrategy column_tail = TailStrategy::GuardWithIf;
    const int block = tile.vectors * vec;
    const int blocks = channels / block;
    const int bands = row_bands(rows, batch * blocks);
    const int band_rows = (rows + bands - 1) / bands;
    root.split(c, cb, cbi, block, TailStrategy::RoundUp).split(y, yo, yi, band_rows, TailStrategy::ShiftInwards);
    if (pool && rblock > 0) {
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
            .split(r.x, rco, rci, rblock)
            .split(c, cv, cl, vec)
            .split(x, xo, xi, tile.columns, column_tail)
            .reorder(cl, cv, xi, rci, r.y, r.z, xo, y, rco, n)
            .vectorize(cl)
            .unroll(cv)
            .unroll(xi);
        if (stages.skips_padded_columns) conv.update().unroll(r.y).unroll(xo);
        root.fuse(cb, yo, t).fuse(t, n, t).parallel(t);
        if (conv_input.defined()) conv_input.compute_at(conv, rco);
        pack_weights(stages, vec).compute_at(conv, rco);
        return;
    }
    if (pool) {
        root.reorder(cbi, x, yi, cb, yo, n).vectorize(cbi, vec);
        // Slides down the band's rows: each conv row computed once per band, kept only while
        // the pooling windows need it.
        tiled.store_at(root, t).compute_at(root, yi);
        tiled.split(x, xo, xi, tile.columns, column_tail)
            .split(c, cv, cl, vec)
            .reorder(cl, cv, xi, xo)
            .vectorize(cl)
            .unroll(cv)
            .unroll(xi);
        if (stages.skips_padded_columns) tiled.unroll(xo);
        conv.compute_at(tiled, xo);
    } else {
        root.split(cbi, cv, cl, vec)
            .split(x, xo, xi, tile.columns, column_tail)
            .reorder(cl, cv, xi, xo, yi, cb, yo, n)
            .vectorize(cl)
            .unroll(cv)
            .unroll(xi);
        if (stages.skips_padded_columns) root.unroll(xo);
        conv.compute_at(root, xo);
    }
    root.fuse(cb, yo, t).fuse(t, n, t).parallel(t);
    pack_weights(stages, vec).compute_at(root, t);
    if (conv_input.defined()) {
        conv_input.store_at(root, t).compute_at(root, yi);
        if (pool) fold_to_pooled_row(conv_input, net, group, *pool);
    }

    // The register tile: accumulators initialized with the bias, reduced over input channels
    // (innermost, one broadcast input value per FMA row) and kernel taps, never leaving registers.
    conv.split(c, cv, cl, vec).reorder(cl, cv, x).vectorize(cl).unroll(cv).unroll(x);
    conv.update()
        .split(c, cv, cl, vec)
        .reorder(cl, cv, x, r.x, r.y, r.z, y, n)
        .vectorize(cl)
        .unroll(cv)
        .unroll(x);
    if (conv_in.c <= 4) conv.update().unroll(r.x);
    // Column taps tested per tile column: with the tiles and kernel columns unrolled the tests
    // are constants, and an edge tile's rows of FMAs simply leave the padded columns out.
    if (stages.skips_padded_columns) conv.update().unroll(r.y);
}

}  // namespace kiln::codegen::detail
