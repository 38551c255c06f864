// Fusion groups: the runs of layers a schedule may compute together. A group starts at a conv,
// takes the element-wise layers after it (activation, batch norm, dropout) and a pooling layer if
// one follows; every other layer is a group of its own. Schedules and the inspector share this
// partition, so what kiln-inspect draws as fused is what the `fused` and `cuda` schedules fuse.
#pragma once

#include <cstddef>
#include <vector>

#include "kiln/codegen/lowered.hpp"

namespace kiln::codegen {

struct FusionGroup {
    std::vector<std::size_t> layers;  // indices into Lowered::layers, in dataflow order
    bool starts_with_conv = false;
    bool ends_with_pool = false;

    std::size_t first() const { return layers.front(); }
    std::size_t last() const { return layers.back(); }
    bool fused() const { return layers.size() > 1; }
};

// Every layer index of `net` in exactly one group; groups never cross a Concat or Residual boundary.
std::vector<FusionGroup> fusion_groups(const Lowered& net);
// The conv at `layer` as a group of its own: what `unfused` plans and schedules.
FusionGroup conv_alone(std::size_t layer);

// True for the net's last top-level layer, whose output Lowered::output copies (a pure stage there
// is inlined into Lowered::output).
bool is_last_layer(const Lowered& net, std::size_t layer);

// The stages a schedule places for a group that starts with a conv.
struct ConvGroupStages {
    Halide::Func conv;             // the accumulating conv stage
    Halide::RDom reduction;        // its reduction: (input channel, kernel column, kernel row)
    Halide::ImageParam weights;    // the conv's weights, dims (output channel, input channel, kx, ky)
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
