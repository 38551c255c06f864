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

}  // namespace kiln::codegen
