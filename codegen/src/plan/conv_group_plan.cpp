// The cost rules that choose a conv group's plan (see conv_group_plan.hpp). Each rule is a
// measured choice; the comment beside it says where it was measured.
#include "kiln/codegen/conv_group_plan.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <tuple>

#include "kiln/runtime/error.hpp"
#include "lower/winograd.hpp"
#include "plan/plan_rules.hpp"

namespace kiln::codegen {

using detail::loads_at_most_one_per_fma;
using detail::max_tile_columns;

namespace {

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
// slower than 2 x 12 on W1. Between equal tiles, the one with fewer loads per FMA (more channels,
// fewer columns: 4 x 6 loads 10 values per 24 FMAs, 2 x 12 loads 14), unless its channel blocks
// are fewer than `min_channel_blocks`, the parallel blocks the cores need; then fewer channels.
//
// Tiles fit the registers by max_tile_columns (plan_rules.hpp).
//
// Channel counts of 1, 7 or 13 vectors (GoogLeNet's 16, 112 and 208 on AVX-512) leave only
// one-vector tiles, which load one value more than they issue FMAs; there the widest such tile
// is taken, rather than the 1 x 1 tile that loads two values per FMA.
RegisterTile choose_register_tile(int channel_vectors, int width, int registers, int min_channel_blocks, int max_vectors = 4) {
    RegisterTile best;
    double best_score = 0, best_useful = 0;
    const bool one_vector_only = [&] {
        for (int v = std::min(max_vectors, channel_vectors); v >= 2; --v)
            if (channel_vectors % v == 0) return false;
        return true;
    }();
    for (int v = std::min(max_vectors, channel_vectors); v >= 1; --v) {
        if (channel_vectors % v) continue;
        // At most 3/4 of the registers as accumulators (2 x 12 measured best on AVX-512 for W1).
        const int max_cols = std::min(max_tile_columns(v, registers), registers * 3 / 4 / v);
        for (int cols = std::min(max_cols, width); cols >= 1; --cols) {
            if (!loads_at_most_one_per_fma(v, cols) && !one_vector_only) continue;
            const int tiles = (width + cols - 1) / cols;
            const double useful = double(width) / (tiles * cols);  // of the tile slots run
            const double score = v * cols * useful;
            // Between equal scores the tile with the fuller last tile wins (4 x 4 over a 4 x 6
            // that runs a 6- and a 2-column tile for an 8-wide row), then the narrower if asked.
            const bool tie = std::abs(score - best_score) < 1e-9;
            if (score > best_score + 1e-9 || (tie && useful > best_useful + 1e-9) ||
                (tie && std::abs(useful - best_useful) < 1e-9 && channel_vectors / best.vectors < min_channel_blocks))
                best_score = score, best_useful = useful, best = {v, cols};
        }
    }
    return best;
}

// A pointwise conv's tile as wide as its row, past the 3/4-of-the-registers cap, where it fits the
// registers with one to spare and issues more useful FMAs per step than `chosen`: each weight
// vector is then loaded once per row rather than once per tile, and no ragged last tile runs.
// GoogLeNet's 1x1 convs over 14-wide rows on AVX-512 (2 x 14 instead of 4 x 5 + a 4-column tile):
// kiln-tune measured them 5-8 % faster one by one, and the net ran 2-4 % closer to oneDNN in two
// interleaved A/B runs on the Xeon VM (0.926 -> 0.962x, 0.938 -> 0.959x). A 3x3 conv's rows gained
// nothing in the tuner's runs, so the rule is the pointwise conv's.
RegisterTile whole_row_tile(int channel_vectors, int width, int registers, RegisterTile chosen) {
    const int columns = (width + chosen.columns - 1) / chosen.columns * chosen.columns;
    const double chosen_score = double(chosen.vectors) * width * chosen.columns / columns;
    for (int v = std::min(4, channel_vectors); v >= 1; --v) {
        if (channel_vectors % v || width > max_tile_columns(v, registers) || !loads_at_most_one_per_fma(v, width)) continue;
        if (v * width > chosen_score + 1e-9) return {v, width};
    }
    return chosen;
}

// A depthwise conv's tile: each FMA loads its own input vector (no broadcast to share), and the
// unrolled kernel columns keep `kernel_columns` weight vectors per channel vector live beside the
// accumulators. Columns that divide the row are preferred outright: a ragged last tile's guarded
// accumulators stayed in memory across the reduction (W6's 12-column tiles over 56 columns).
RegisterTile choose_depthwise_tile(int channel_vectors, int width, int registers, int kernel_columns) {
    RegisterTile best;
    double best_score = 0;
    for (int whole_tiles_only : {1, 0}) {
        for (int v = std::min(4, channel_vectors); v >= 1; --v) {
            if (channel_vectors % v) continue;
            const int max_cols = std::min(max_tile_columns(v, registers, kernel_columns), registers * 3 / 4 / v);
            for (int cols = std::min(max_cols, width); cols >= 1; --cols) {
                if (whole_tiles_only && width % cols) continue;
                const int tiles = (width + cols - 1) / cols;
                const double score = double(v) * cols * width / (tiles * cols);
                if (score > best_score + 1e-9) best_score = score, best = {v, cols};
            }
        }
        if (best_score > 0) return best;
    }
    return best;
}

}  // namespace

// The shared rules (plan_rules.hpp), and the fold only the cost rules and the plan check use.
namespace detail {

// The share of the cores' time that `tasks` equal tasks keep busy.
double core_balance(int tasks, int cores) { return double(tasks) / (cores * ((tasks + cores - 1) / cores)); }

// Row bands per image: only as many as needed to give every core work once batch and channel
// blocks are counted, since each band recomputes the conv rows its pooling windows share and
// copies its channel block's weights again. Or, where the tasks are unevenly many for the cores
// (GoogLeNet's inception 3b 3x3 conv at batch 1: 3 channel blocks on 2 cores, one core idle a
// third of the time), the fewest bands, up to 4, that even them out.
int row_bands(int rows, int independent_tasks, int cores) {
    if (independent_tasks < cores) return std::min(rows, (cores + independent_tasks - 1) / independent_tasks);
    if (core_balance(independent_tasks, cores) >= 0.9) return 1;
    int bands = 1;
    for (int b = 2; b <= std::min(rows, 4); ++b) {
        const int height = (rows + b - 1) / b, made = (rows + height - 1) / height;  // as set_bands makes them
        if (core_balance(independent_tasks * made, cores) > core_balance(independent_tasks * bands, cores) + 1e-9) bands = made;
    }
    return bands;
}

// Images per task. A task copies its channel block's weights into a layout of its own before its
// first tile (cpu_schedule_parts.cpp), so a task of one image copies them once an image: at batch
// 128, W2's 400 KiB of weights were copied 128 times a call. Images are grouped, a divisor of the
// batch, as long as 8 tasks a core remain to balance the cores.
void set_images_per_task(ConvGroupPlan& plan, int cores) {
    plan.images_per_task = 1;
    if (plan.loop != ConvGroupPlan::Loop::register_tiles) return;
    ConvGroupPlan grouped = plan;
    for (grouped.images_per_task = 2; grouped.images_per_task <= plan.batch; ++grouped.images_per_task)
        if (plan.batch % grouped.images_per_task == 0 && grouped.tasks() >= 8 * cores) plan.images_per_task = grouped.images_per_task;
}

// Bands of equal height; the count is what that height gives (12 rows in 8 bands are 6 of 2).
void set_bands(ConvGroupPlan& plan, int rows, int bands) {
    plan.band_rows = (rows + bands - 1) / bands;
    plan.row_bands = (rows + plan.band_rows - 1) / plan.band_rows;
}

// Under a pool, the padded input's rows are consumed through the sliding conv rows, and Halide 14
// neither slides nor folds a stage two levels down: it kept each task's whole padded input (W4:
// 861 KiB beside the weights in a 512 KiB L2; fused slower than unfused at batch 1). Fold it to the
// input rows one pooled row reads, rounded up to a power of two. 0: no fold.
int padded_input_fold(const ConvAttrs& conv, const PoolAttrs& pool) {
    // A pool whose stride exceeds its window leaves conv rows unread, and Halide 14's fold check
    // then saw the folded rows accessed out of order (a 1x1/2 pool over a stride-2 conv): such a
    // pool, absent from real nets, keeps each task's whole padded input.
    if (pool.stride.h > pool.span().h) return 0;
    // The fold holds the input rows of two pooled steps' conv rows (window + stride): with a
    // strided conv Halide 14 read one step's rows beyond a fold sized for the window alone (the
    // soak found 2 such shapes). On W1-W5 this keeps the old fold or doubles a few KiB of rows.
    const extent_t conv_rows = pool.span().h + pool.stride.h;
    const extent_t rows = input_span(conv_rows, conv.kernel.h, conv.stride.h, conv.dilation.h);
    int fold = 1;
    while (fold < rows) fold *= 2;
    return fold;
}

// The padded input rows one band of pooled rows reads. A fold no smaller saves nothing, and Halide
// 14 then checked a band of one pooled row, whose sliding loop it rewinds by warm-up steps, against
// a fold head set for the wrong first row: "accessed out of order" (CI soak seed
// 14230060353174616441, a 4x5 conv dilated 3 under a 3x1/3 pool, one row per band).
extent_t band_input_rows(const ConvAttrs& conv, const PoolAttrs& pool, int band_rows) {
    const extent_t conv_rows = (band_rows - 1) * pool.stride.h + pool.span().h;
    return input_span(conv_rows, conv.kernel.h, conv.stride.h, conv.dilation.h);
}

const PoolAttrs* group_pool(const Lowered& net, const FusionGroup& group) {
    if (!group.ends_with_pool) return nullptr;
    return std::get_if<PoolAttrs>(&net.layers[group.last()].spec->attrs);
}

int padded_input_fold_for(const Lowered& net, const FusionGroup& group, int band_rows) {
    const LayerSpec& conv_layer = *net.layers[group.first()].spec;
    const PoolAttrs* pool = group_pool(net, group);
    if (!pool || !pads_input(conv_layer)) return 0;
    const auto& conv = std::get<ConvAttrs>(conv_layer.attrs);
    const int fold = padded_input_fold(conv, *pool);
    return fold > 0 && fold < band_input_rows(conv, *pool, band_rows) ? fold : 0;
}

// The rows of the group's stored stage: the pooled rows under a pool, else the conv's.
int stored_rows(const Lowered& net, const FusionGroup& group) {
    return int(net.layers[group_pool(net, group) ? group.last() : group.first()].spec->out.h);
}

// A depthwise group feeding a pointwise conv (MobileNet's block), or a pointwise group feeding a
// depthwise conv (an inverted residual's expansion), is computed a row at a time inside the next
// conv's tasks when its output per image exceeds half of L2, so that storing it would send it to L3
// and back, and the next conv's tasks read whole rows, so no row is computed twice. Depthwise
// into pointwise, measured on the Xeon VM (2 MiB L2), per block at batch 1 and 8, interleaved:
// 56x56x128 -> 128 (W6) 7-10 % faster at batch 1, 3-6 % at 8; 112x112x32 -> 64 7-10 % and
// 7-9 %. The smaller MobileNet blocks keep their stored tensor in L2 and their pointwise convs
// split channel blocks among tasks. Pointwise into depthwise: see plan_direct_conv_group.
bool computes_inside_consumer(const Lowered& net, const FusionGroup& group, const MachineModel& machine) {
    const std::optional<FusionGroup> consumer = group_to_compute_inside(net, group);
    if (!consumer || !plan_conv_group(net, *consumer, machine).tasks_read_whole_rows()) return false;
    const Shape out = net.layers[group.last()].spec->out;
    return 4L * out.h * out.w * out.c > machine.l2_bytes / 2;
}

}  // namespace detail

using namespace detail;

std::string ConvGroupPlan::describe() const {
    std::ostringstream s;
    switch (loop) {
        case Loop::channel_rows:
            s << "a row at a time, register tiles " << channel_block() << " ch x " << tile_columns << " cols (" << vector_lanes
              << "-lane vectors, the last guarded)";
            break;
        case Loop::register_tiles:
        case Loop::serial_channel_blocks: s << "register tiles " << channel_block() << " ch x " << tile_columns << " cols"; break;
        case Loop::reduction_blocks:
            s << "reduction blocks of " << reduction_block << " input ch, register tiles " << channel_block() << " ch x "
              << tile_columns << " cols";
            break;
        case Loop::winograd:
            s << "Winograd F(" << winograd_tile << "x" << winograd_tile << ", 3x3), register tiles " << channel_block() << " ch x "
              << tile_columns << " tiles";
            break;
    }
    s << ", " << channel_blocks << " channel block" << (channel_blocks == 1 ? "" : "s")
      << (loop == Loop::serial_channel_blocks ? " in turn" : "");
    // Inside the next group, the rows and tasks are that group's.
    if (inside_consumer) {
        s << " x batch " << batch << ", computed a row at a time inside the next group's tasks";
        return s.str();
    }
    s << " x " << row_bands << " band"
      << (row_bands == 1 ? "" : "s") << " of " << band_rows << " rows x batch " << batch;
    if (images_per_task > 1) s << " (" << images_per_task << " images a task)";
    s << " = " << tasks() << " tasks";
    if (fold_rows > 0) s << ", padded input folded to " << fold_rows << " rows";
    return s.str();
}

namespace {
// Every data member of ConvGroupPlan, by structured binding: a new member fails to compile here
// until it is named, and then the count below until conv_group_plan_fields lists it.
[[maybe_unused]] void every_field_is_listed(const ConvGroupPlan& p) {
    [[maybe_unused]] const auto& [loop, vector_lanes, tile_vectors, tile_columns, channel_blocks, row_bands, band_rows, reduction_block,
                                  fold_rows, batch, images_per_task, inside_consumer, winograd_tile] = p;
    static_assert(conv_group_plan_fields.size() == 12, "every int field of ConvGroupPlan but `loop` is listed in conv_group_plan_fields");
}

constexpr std::pair<ConvGroupPlan::Loop, const char*> loop_names[] = {
    {ConvGroupPlan::Loop::channel_rows, "channel_rows"},
    {ConvGroupPlan::Loop::register_tiles, "register_tiles"},
    {ConvGroupPlan::Loop::reduction_blocks, "reduction_blocks"},
    {ConvGroupPlan::Loop::serial_channel_blocks, "serial_channel_blocks"},
    {ConvGroupPlan::Loop::winograd, "winograd"},
};
}  // namespace

const char* loop_name(ConvGroupPlan::Loop loop) {
    for (const auto& [l, name] : loop_names)
        if (l == loop) return name;
    return "?";
}

std::optional<ConvGroupPlan::Loop> loop_from_name(const std::string& name) {
    for (const auto& [l, n] : loop_names)
        if (name == n) return l;
    return std::nullopt;
}

bool ConvGroupPlan::operator==(const ConvGroupPlan& o) const {
    if (loop != o.loop) return false;
    for (const auto& f : conv_group_plan_fields)
        if (this->*f.member != o.*f.member) return false;
    return true;
}

bool winograd_may_compute(const Lowered& net, const FusionGroup& group, int vector_lanes) {
    const LayerSpec& conv_layer = *net.layers[group.first()].spec;
    return net.weights_prepared && !net.training && !group.ends_with_pool && winograd_computes(conv_layer) &&
           conv_layer.out.c % vector_lanes == 0;
}

namespace detail {

void set_winograd_bands(ConvGroupPlan& plan, const Lowered& net, const FusionGroup& group, const MachineModel& machine, int bands) {
    const LayerSpec& conv_layer = *net.layers[group.first()].spec;
    const int m = plan.winograd_tile, side = m + 2;
    const int tile_columns = int((conv_layer.out.w + m - 1) / m), tile_rows = int((conv_layer.out.h + m - 1) / m);
    if (bands < 1) {
        const long row_products = 4L * plan.channel_block() * side * side * tile_columns;
        const int max_band_tiles = int(std::max(1L, machine.l2_bytes / 4 / row_products));
        bands = std::max(row_bands(tile_rows, plan.batch * plan.channel_blocks, machine.cores), (tile_rows + max_band_tiles - 1) / max_band_tiles);
    }
    ConvGroupPlan tiles = plan;
    set_bands(tiles, tile_rows, std::min(bands, tile_rows));
    plan.band_rows = std::min(int(conv_layer.out.h), tiles.band_rows * m);
    plan.row_bands = tiles.row_bands;
}

// Register tiles over a tile row's tiles, as a direct conv's over a row's columns; bands of whole
// tile rows, few enough for the cores, each holding its products (channel block x (m + 2)^2 x
// band's tiles) in a quarter of L2.
ConvGroupPlan winograd_plan(const Lowered& net, const FusionGroup& group, const MachineModel& machine, int m, const ConvGroupPlan& direct) {
    const LayerSpec& conv_layer = *net.layers[group.first()].spec;
    const int channels = int(conv_layer.out.c), vec = direct.vector_lanes;
    const int tile_columns = int((conv_layer.out.w + m - 1) / m);
    ConvGroupPlan plan = direct;
    plan.loop = ConvGroupPlan::Loop::winograd;
    plan.winograd_tile = m;
    plan.reduction_block = plan.fold_rows = plan.inside_consumer = 0;
    plan.images_per_task = 1;
    const int blocks_for_cores = (machine.cores + plan.batch - 1) / plan.batch;
    const RegisterTile tile = choose_register_tile(channels / vec, tile_columns, machine.vector_registers, blocks_for_cores);
    plan.tile_vectors = tile.vectors;
    plan.tile_columns = tile.columns;
    plan.channel_blocks = channels / plan.channel_block();
    set_winograd_bands(plan, net, group, machine);
    return plan;
}

// Multiply-adds a call, in FMA lanes, of the direct conv and of Winograd's F(m x m, 3 x 3) over
// the same outputs: (m + 2)^2 products per tile and input channel instead of 9 per output, the
// transforms costing about a sixth more (measured on 64-512 channel ResNet shapes, Zen 4), plus
// the transformed kernels read beyond the 3x3 ones, each float streamed counted as 8 FMA lanes.
double direct_cost(const LayerSpec& conv, int batch) {
    return double(conv.out.c) * conv.in.c * 9 * conv.out.w * conv.out.h * batch;
}
double winograd_cost(const LayerSpec& conv, int batch, int m) {
    const double side = m + 2, tiles = double((conv.out.w + m - 1) / m) * ((conv.out.h + m - 1) / m) * batch;
    const double kernels = double(conv.out.c) * conv.in.c;
    return kernels * side * side * tiles * 1.17 + kernels * (side * side - 9) * 8;
}

}  // namespace detail

ConvGroupPlan plan_conv_group(const Lowered& net, const FusionGroup& group, const MachineModel& machine) {
    const ConvGroupPlan direct = plan_direct_conv_group(net, group, machine);
    if (!winograd_may_compute(net, group, direct.vector_lanes)) return direct;
    const LayerSpec& conv_layer = *net.layers[group.first()].spec;
    // Below 16 input channels a tile's transform costs as much as its products; below 4 tiles a
    // row, the register tile is too narrow to reuse its weight vectors.
    if (conv_layer.in.c < 16) return direct;
    const int batch = std::max(1, net.batch_estimate);
    ConvGroupPlan best = direct;
    // Winograd only where it is estimated at a third faster: ResNet-18's 7x7x512 convs, estimated
    // 0.80 of the direct cost in 2 x 2 tiles, ran 5-15 % slower at batch 1 (Zen 4); its 56x56 and
    // 28x28 convs (0.3-0.4 in 4 x 4 tiles) ran twice as fast, its 14x14 ones (0.5) 1.2-1.4x.
    double best_cost = 0.75 * direct_cost(conv_layer, batch);
    for (int m : {4, 2}) {
        if ((conv_layer.out.w + m - 1) / m < 4) continue;
        const double cost = winograd_cost(conv_layer, batch, m);
        if (cost < best_cost) best_cost = cost, best = winograd_plan(net, group, machine, m, direct);
    }
    return best;
}

ConvGroupPlan plan_direct_conv_group(const Lowered& net, const FusionGroup& group, const MachineModel& machine) {
    const LayerSpec& conv_layer = *net.layers[group.first()].spec;
    const auto& conv = std::get<ConvAttrs>(conv_layer.attrs);
    const PoolAttrs* pool = group_pool(net, group);
    const int rows = stored_rows(net, group);
    const int channels = int(conv_layer.out.c);
    // Output channels that are no whole number of the target's vectors but are of narrower ones
    // of at least 8 lanes take those: register tiles of 8-lane vectors, not a row at a time with
    // the ragged vector's lanes computed one by one. GoogLeNet's 1x1 convs to 24 channels (14x14x512
    // inputs) ran at 8 GFLOP/s that way, 0.57 ms each, on AVX-512.
    int vec = machine.vector_lanes;
    for (int lanes = vec; lanes >= 8 && channels % vec != 0; lanes /= 2)
        if (channels % lanes == 0) vec = lanes;

    ConvGroupPlan plan;
    plan.vector_lanes = vec;
    plan.batch = std::max(1, net.batch_estimate);
    if (channels % vec != 0) {
        // Register tiles over the row's channel vectors, the last one partly past the channels:
        // ShuffleNetV2's 1x1 convs of 58 and 116 channels ran at 20 GFLOP/s one vector at a time
        // (0.30 ms each at 28x28, Zen 4), 28 GFLOP/s in tiles; the net 7.4-8.0 -> 4.3-5.1 ms.
        plan.loop = ConvGroupPlan::Loop::channel_rows;
        const int vectors = (channels + vec - 1) / vec, width = int(conv_layer.out.w);
        const RegisterTile tile = conv.depthwise(conv_layer.in)
                                      ? choose_depthwise_tile(vectors, width, machine.vector_registers, int(conv.kernel.w))
                                      : choose_register_tile(vectors, width, machine.vector_registers, 1);
        plan.tile_vectors = tile.vectors;
        plan.tile_columns = tile.columns;
        set_bands(plan, rows, row_bands(rows, plan.batch, machine.cores));
        plan.fold_rows = padded_input_fold_for(net, group, plan.band_rows);
        return plan;
    }
    if (conv.depthwise(conv_layer.in) && !pool && channels / vec > 1) {
        // Depthwise, measured on W6's (56x56x128, Xeon VM, batch 1, padded copy still read): 4
        // parallel blocks of 32 channels ran 0.25-0.39 ms, whole pixels per task 0.14-0.15 ms.
        const RegisterTile tile = choose_depthwise_tile(channels / vec, int(conv_layer.out.w), machine.vector_registers,
                                                        int(conv.kernel.w));
        plan.loop = ConvGroupPlan::Loop::serial_channel_blocks;
        plan.tile_vectors = tile.vectors;
        plan.tile_columns = tile.columns;
        plan.channel_blocks = channels / plan.channel_block();
        set_bands(plan, rows, row_bands(rows, plan.batch, machine.cores));
        plan.inside_consumer = computes_inside_consumer(net, group, machine) ? 1 : 0;
        return plan;
    }
    // Parallel tasks: batch x channel blocks x row bands. Channel blocks cost nothing extra (conv,
    // element-wise and pool are all per channel), so they are preferred to row bands.
    // The reduction's input channels: a group's.
    const int taps = int(conv.kernel.h * conv.kernel.w), in_channels = int(conv.group_input_channels(conv_layer.in));
    const int width = int(conv_layer.out.w);
    const int blocks_for_cores = (machine.cores + plan.batch - 1) / plan.batch;
    RegisterTile tile = choose_register_tile(channels / vec, width, machine.vector_registers, blocks_for_cores);
    const bool pointwise = is_pointwise_conv(conv_layer);
    if (pointwise) tile = whole_row_tile(channels / vec, width, machine.vector_registers, tile);
    int rblock = pool ? reduction_block(in_channels, taps, tile.vectors * vec, machine.l2_bytes) : 0;
    if (rblock > 0) {
        // At most two channel vectors: W5's second conv at batch 128 on AVX-512 ran 2 x 8 in 97 ms,
        // 4 x 4 in 126 ms; on AVX2, 2 x 6 (6 + 6 + 4 columns over a 16-wide row) beats 2 x 4.
        tile = choose_register_tile(channels / vec, width, machine.vector_registers, channels / vec + 1, 2);
        rblock = reduction_block(in_channels, taps, tile.vectors * vec, machine.l2_bytes);
    }
    plan.loop = rblock > 0 ? ConvGroupPlan::Loop::reduction_blocks : ConvGroupPlan::Loop::register_tiles;
    plan.tile_vectors = tile.vectors;
    plan.tile_columns = tile.columns;
    plan.reduction_block = rblock;
    plan.channel_blocks = channels / plan.channel_block();
    // A pointwise conv whose input does not stay in L2 (MobileNet's 1x1 after the depthwise conv,
    // 56x56x128: 1.5 MiB) reads each input pixel once per parallel channel block, each task all of
    // the rows, half of them written by the other core's depthwise tasks; one task's channel
    // blocks in turn over a band of rows read them once (W6 at batch 1: 0.51 -> 0.45-0.46 ms).
    const long input_bytes = 4L * conv_layer.in.h * conv_layer.in.w * conv_layer.in.c;
    if (plan.loop == ConvGroupPlan::Loop::register_tiles && !pool && pointwise && plan.channel_blocks > 1 &&
        input_bytes > machine.l2_bytes / 2)
        plan.loop = ConvGroupPlan::Loop::serial_channel_blocks;
    set_bands(plan, rows, row_bands(rows, plan.batch * plan.parallel_channel_blocks(), machine.cores));
    plan.fold_rows = padded_input_fold_for(net, group, plan.band_rows);
    // The expansion of an inverted residual block (a pointwise conv read by a depthwise one) whose
    // output would not stay in L2: its rows are computed inside the depthwise conv's tasks, sliding
    // down with them, instead of being stored and read back (MnasNet at batch 8 spent 1.45 of 28.6
    // ms in a depthwise conv reading a 112x112x48 expansion from memory).
    if (pointwise && !pool && computes_inside_consumer(net, group, machine)) {
        plan.loop = ConvGroupPlan::Loop::serial_channel_blocks;
        plan.inside_consumer = 1;
    }
    set_images_per_task(plan, machine.cores);
    return plan;
}

void check_conv_group_plan(const Lowered& net, const FusionGroup& group, const ConvGroupPlan& plan) {
    const LayerSpec& conv_layer = *net.layers[group.first()].spec;
    const int channels = int(conv_layer.out.c), rows = stored_rows(net, group);
    const int in_channels = int(std::get<ConvAttrs>(conv_layer.attrs).group_input_channels(conv_layer.in));
    auto refuse = [&](const std::string& why) {
        throw Error("conv group plan for layer " + conv_layer.name + " (" + plan.describe() + "): " + why);
    };
    if (plan.vector_lanes < 1) refuse("vector_lanes must be at least 1");
    if (plan.row_bands < 1 || plan.band_rows < 1 || plan.row_bands * plan.band_rows < rows || plan.band_rows > rows)
        refuse("row bands must cover the " + std::to_string(rows) + " rows, each band at most all of them");
    if (plan.fold_rows < 0 || (plan.fold_rows & (plan.fold_rows - 1)) != 0) refuse("fold_rows must be 0 or a power of two");
    // A fold narrower than the rows a pooled step reads would make Halide reuse rows still needed.
    const PoolAttrs* pool = group_pool(net, group);
    const int min_fold = pool && pads_input(conv_layer) ? padded_input_fold(std::get<ConvAttrs>(conv_layer.attrs), *pool) : 0;
    if (min_fold == 0 && plan.fold_rows != 0) refuse("fold_rows must be 0: this group keeps no folded input rows");
    if (plan.fold_rows != 0 && plan.fold_rows < min_fold)
        refuse("fold_rows must be 0 (no fold) or at least " + std::to_string(min_fold) + ", the padded input rows a pooled row reads");
    if (plan.fold_rows != 0 && plan.fold_rows >= band_input_rows(std::get<ConvAttrs>(conv_layer.attrs), *pool, plan.band_rows))
        refuse("fold_rows must be 0: a band of " + std::to_string(plan.band_rows) + " pooled rows reads only " +
               std::to_string(band_input_rows(std::get<ConvAttrs>(conv_layer.attrs), *pool, plan.band_rows)) +
               " padded input rows, so a fold saves nothing");
    if (plan.inside_consumer != 0 && plan.inside_consumer != 1) refuse("inside_consumer must be 0 or 1");
    if (plan.inside_consumer && plan.loop != ConvGroupPlan::Loop::serial_channel_blocks)
        refuse("a group computed inside the next group's tasks needs serial channel blocks (whole pixels per tile)");
    if (plan.inside_consumer && !group_to_compute_inside(net, group))
        refuse("only a depthwise group read by a pointwise conv, or a pointwise group read by a depthwise conv (element-wise layers "
               "after it, no pool), can be computed inside its tasks");
    if (plan.images_per_task < 1 || plan.images_per_task > plan.batch)
        refuse("images_per_task must be between 1 and the batch of " + std::to_string(plan.batch));
    if (plan.images_per_task > 1 && plan.loop != ConvGroupPlan::Loop::register_tiles)
        refuse("images_per_task above 1 needs register_tiles: other loops copy weights per tile row or per reduction slice");
    if (plan.tile_vectors < 1 || plan.tile_columns < 1) refuse("the register tile must be at least 1 x 1");
    if (plan.loop == ConvGroupPlan::Loop::winograd) {
        if (!winograd_may_compute(net, group, plan.vector_lanes))
            refuse("Winograd needs prepared weights and a 3x3 stride-1 conv of one group with whole vectors of output channels, not under a pool");
        if (plan.winograd_tile != 2 && plan.winograd_tile != 4) refuse("winograd_tile must be 2 or 4");
        if (plan.band_rows % plan.winograd_tile != 0 && plan.band_rows != rows)
            refuse("a band's rows must be whole tiles of " + std::to_string(plan.winograd_tile) + " rows");
        if (plan.images_per_task != 1 || plan.fold_rows != 0 || plan.reduction_block != 0)
            refuse("Winograd plans have one image a task, no fold and no reduction blocks");
    } else if (plan.winograd_tile != 0) {
        refuse("winograd_tile must be 0 unless the loop is winograd");
    }
    if (plan.loop == ConvGroupPlan::Loop::channel_rows) return;
    if (channels % plan.channel_block() != 0)
        refuse("the channel block of " + std::to_string(plan.channel_block()) + " does not divide the " + std::to_string(channels) +
               " output channels");
    if (plan.channel_blocks * plan.channel_block() != channels) refuse("channel_blocks x channel block must be the output channels");
    if (plan.loop == ConvGroupPlan::Loop::serial_channel_blocks && group.ends_with_pool)
        refuse("serial channel blocks cannot be applied under a pool");
    if (plan.loop == ConvGroupPlan::Loop::reduction_blocks &&
        (!group.ends_with_pool || plan.reduction_block < 1 || in_channels % plan.reduction_block != 0))
        refuse("reduction blocks need a pool and a block dividing the " + std::to_string(in_channels) + " input channels of a group");
}

}  // namespace kiln::codegen
