// Fusion groups: the runs of layers a schedule may compute together. A group starts at a conv,
// takes the element-wise layers after it (activation, batch norm, dropout) and a pooling layer if
// one follows; every other layer is a group of its own. Schedules and the inspector share this
// partition, so what kiln-inspect draws as fused is what the `fused` and `cuda` schedules fuse.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "kiln/codegen/lowered.hpp"

namespace kiln::codegen {

struct FusionGroup {
    static constexpr std::size_t none = std::size_t(-1);
    std::vector<std::size_t> layers;  // indices into Lowered::layers, in dataflow order
    bool starts_with_conv = false;
    bool ends_with_pool = false;
    // The group (index into fusion_groups' result) before this one in the same sequence, whose
    // output this group's first layer reads and no other layer does; none at a sequence's start.
    std::size_t input_group = none;

    std::size_t first() const { return layers.front(); }
    std::size_t last() const { return layers.back(); }
    bool fused() const { return layers.size() > 1; }
};

// Every layer index of `net` in exactly one group; groups never cross a Concat or Residual boundary.
std::vector<FusionGroup> fusion_groups(const Lowered& net);
// The conv at `layer` as a group of its own: what `unfused` plans and schedules.
FusionGroup conv_alone(std::size_t layer);

// A conv whose output pixel reads one input pixel, all its channels: 1x1, stride 1, no padding, one
// group. A conv group before it can be computed a row at a time inside its tiles, nothing recomputed.
bool is_pointwise_conv(const LayerSpec& layer);
// A channel slice or shuffle: each output value one input value, so a consumer can read through it.
bool moves_channels_only(const LayerSpec& layer);

// Whether `layers` (a conv and what follows it in one sequence) are a group that a schedule may
// compute inside the tiles of `next`, the layer after them, rather than store whole: a depthwise
// conv with only element-wise layers after it, then a pointwise conv (MobileNet's block); or a
// pointwise conv with only element-wise layers after it, then a depthwise conv (the expansion of
// an inverted residual block, MobileNetV2's), whose rows then slide down the depthwise conv's.
// Segments keep such pairs in one pipeline; whether a schedule does compute the first inside the
// second is its plan's choice (ConvGroupPlan::inside_consumer).
bool may_compute_inside(const std::vector<const LayerSpec*>& layers, const LayerSpec& next);
// Whether `layer` is a depthwise conv: one that reads a window of rows of what it reads, so a group
// computed inside it keeps the rows it made for the next ones (sliding).
bool is_depthwise_conv(const LayerSpec& layer);

// The group that `group` (a group of `net` exactly as fusion_groups makes it) may be computed
// inside (may_compute_inside): the next group of its sequence, a conv group without a pool.
// Empty when there is none, and for any other group (a conv alone under `unfused`).
std::optional<FusionGroup> group_to_compute_inside(const Lowered& net, const FusionGroup& group);

// True for the net's last top-level layer, whose output Lowered::output copies (a pure stage there
// is inlined into Lowered::output).
bool is_last_layer(const Lowered& net, std::size_t layer);

// The stages a schedule places for a group that starts with a conv.
struct ConvGroupStages {
    Halide::Func conv;             // the accumulating conv stage; Winograd's output transform
    Halide::RDom reduction;        // its reduction: (input channel, kernel column, kernel row); Winograd's: (input channel)
    // Winograd's F(m x m, 3 x 3), m = winograd_tile (0: a direct conv): the transformed input
    // tiles and their products summed over input channels (LayerStages).
    int winograd_tile = 0;
    Halide::Func winograd_input, winograd_products;
    Halide::ImageParam weights;    // the conv's weights, dims (output channel, input channel, kx, ky)
    std::string weights_name;      // their ParamSpec name
    int packed_weight_block = 0;   // read packed in blocks of this many channels (Lowered::packed_weights); 0: not
    Halide::Func zero_extended_weights;  // read instead of `weights` when defined (LayerStages)
    bool skips_padded_columns = false;  // the reduction tests each column tap (see lowered.hpp)
    Halide::Func conv_input;       // the zero-padded input; undefined when the conv has no padding
    const LayerStages* pool = nullptr;  // the group's pooling layer, if any
    // The stage written to memory: the pool, else the last element-wise layer, else a wrapper of the
    // conv; Lowered::output instead when the group ends the net.
    Halide::Func stored;
    // The stage whose tiles compute the conv: the last element-wise layer before the pool (or a
    // wrapper of the conv); `stored` itself when there is no pool.
    Halide::Func tiled;
};

// Creates the conv's wrapper (Func::in) where no other stage can be stored or tiled.
ConvGroupStages conv_group_stages(Lowered& net, const FusionGroup& group);

}  // namespace kiln::codegen
