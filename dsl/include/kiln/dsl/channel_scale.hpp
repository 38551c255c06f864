// ChannelScale: out[c] = in[c] * gamma[c], a learned scale per channel -- ConvNeXt's layer scale
// (CaiT's LayerScale), applied to a residual branch's output. Element-wise, so `fused` applies it on
// the way out of the conv before it. Learned tensor: gamma {C} (1 at the start of training).
#pragma once

#include "kiln/dsl/simple_layer.hpp"

namespace kiln {

struct ChannelScaleAttrs {
    static constexpr const char* kind = "channel_scale";
    constexpr Check check(Shape, bool) const { return check_ok(); }
    constexpr Shape output(Shape in) const { return in; }
    constexpr ParamShapes param_shapes(Shape in) const { return params_of(param1("gamma", "C", in.c)); }
    constexpr extent_t macs(Shape in) const { return in.elements(); }
};

struct ChannelScale : simple_layer<ChannelScale, accepts<>> {
    static constexpr ChannelScaleAttrs attrs{};
};

}  // namespace kiln
