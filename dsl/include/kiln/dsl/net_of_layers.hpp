// A net built at run time from a list of layer specs, as describe<Net>() builds one from a
// declaration (kiln::make_layer_spec makes the layers).
#pragma once

#include <utility>
#include <vector>

#include "kiln/dsl/layer_spec.hpp"

namespace kiln {

// A net that runs `layers` one after another: its input is the first layer's, its output the
// last's, its parameter and MAC counts their sums.
inline NetSpec net_of_layers(std::vector<LayerSpec> layers) {
    NetSpec net;
    net.input = layers.front().in;
    net.output = layers.back().out;
    for (const auto& l : layers) net.param_count += l.param_count, net.macs += l.macs;
    net.layers = std::move(layers);
    return net;
}

}  // namespace kiln
