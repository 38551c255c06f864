// The pieces the CPU schedules (`fused`, `unfused`) are built from.
#pragma once

#include "kiln/codegen/fusion.hpp"
#include "kiln/codegen/lowered.hpp"

namespace kiln::codegen::detail {

// Every stage of the layer that must be stored (its output and its reductions) computed at root,
// parallel over rows and batch, vectorized over channels; helper stages stay inlined.
void schedule_layer_at_root(Lowered& net, std::size_t layer, const Halide::Target& target);

// A conv group (see fusion.hpp) as one loop nest: its last stage at root, parallel over row bands
// × batch; with a pooling layer, the pooled rows pull conv rows through a sliding window, so the
// pre-pool tensor never exists whole. The conv itself is computed per register tile of output
// channels × columns, its accumulators never leaving registers, with bias and the element-wise
// layers applied on the way out. When a channel block's weights would not stay in L2 (W5's second
// conv: 16x16x256 -> 128, 5x5), the band's conv rows are instead computed whole, one slice of input
// channels at a time, then pooled. A group of the conv alone is the `unfused` conv.
void schedule_conv_group(Lowered& net, const FusionGroup& group, const Halide::Target& target);

// The net's output stage: a copy of the last layer, computed at root.
void schedule_net_output(Lowered& net, const Halide::Target& target);

}  // namespace kiln::codegen::detail
