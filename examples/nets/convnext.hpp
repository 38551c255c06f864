// ConvNeXt-Tiny (Liu et al. 2022, as torchvision builds it): a 4x4/4 "patchify" stem, four stages
// of 3, 3, 9 and 3 blocks (96, 192, 384, 768 channels) with a layer norm and a 2x2/2 conv between
// them, global average pool, layer norm, a 1000-way linear layer. A block filters each channel with
// a 7x7 depthwise conv, normalizes each pixel's channels, expands them four-fold and back with 1x1
// convs (torchvision's Linear layers on channels-last tensors) around a GELU, scales each channel
// by a learned factor (layer scale), and adds its input back. Layer norms use epsilon 1e-6.
#pragma once

#include <kiln/dsl.hpp>

namespace nets {
using namespace kiln;

namespace convnext {
using Norm = LayerNorm<std::ratio<1, 1000000>>;
template <extent_t C>
using Block = Residual<Body<DepthwiseConv<C, Kernel<7>, Pad<3>>, Norm, Conv<4 * C, Kernel<1>>, Gelu, Conv<C, Kernel<1>>, ChannelScale>>;
}  // namespace convnext

using convnext::Block;
using ConvNeXtTiny = Net<Input<224, 224, 3>,
                         Conv<96, Kernel<4>, Stride<4>>, convnext::Norm,                              // 56x56x96
                         Block<96>, Block<96>, Block<96>,
                         convnext::Norm, Conv<192, Kernel<2>, Stride<2>>,                             // 28x28x192
                         Block<192>, Block<192>, Block<192>,
                         convnext::Norm, Conv<384, Kernel<2>, Stride<2>>,                             // 14x14x384
                         Block<384>, Block<384>, Block<384>, Block<384>, Block<384>, Block<384>, Block<384>, Block<384>, Block<384>,
                         convnext::Norm, Conv<768, Kernel<2>, Stride<2>>,                             // 7x7x768
                         Block<768>, Block<768>, Block<768>,
                         GlobalAvgPool, convnext::Norm, Dense<1000>>;

// torchvision's convnext_tiny has 28,589,128 parameters (layer scales included).
static_assert(ConvNeXtTiny::param_count == 28589128);
static_assert(ConvNeXtTiny::output_shape == Shape{1, 1, 1000});

}  // namespace nets
