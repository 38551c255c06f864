// ResNet-18 (He et al. 2015, as torchvision builds it): a 7x7/2 stem conv and 3x3/2 max pool, four
// stages of two basic blocks (64, 128, 256, 512 channels; the first block of stages 2-4 halves the
// map and projects its shortcut with a strided 1x1 conv), global average pool, a 1000-way linear
// layer. Convs carry no bias: each is followed by batch norm, as in the paper.
#pragma once

#include <kiln/dsl.hpp>

namespace nets {
using namespace kiln;

// conv3x3 -> BN -> ReLU -> conv3x3 -> BN, plus the input; ReLU after the add.
template <extent_t C>
using BasicBlock = Residual<Body<Conv<C, Kernel<3>, Same, NoBias>, BatchNorm, Relu, Conv<C, Kernel<3>, Same, NoBias>, BatchNorm>>;
// The same with a stride-2 first conv and a projected shortcut (1x1/2 conv -> BN).
template <extent_t C>
using DownBlock = Residual<Body<Conv<C, Kernel<3>, Stride<2>, Pad<1>, NoBias>, BatchNorm, Relu, Conv<C, Kernel<3>, Same, NoBias>, BatchNorm>,
                           Shortcut<Conv<C, Kernel<1>, Stride<2>, NoBias>, BatchNorm>>;

using ResNet18 = Net<Input<224, 224, 3>,
                     Conv<64, Kernel<7>, Stride<2>, Pad<3>, NoBias>, BatchNorm, Relu,  // 112x112x64
                     MaxPool<Window<3>, Stride<2>, Pad<1>>,                          // 56x56x64
                     BasicBlock<64>, Relu, BasicBlock<64>, Relu,                       // 56x56x64
                     DownBlock<128>, Relu, BasicBlock<128>, Relu,                      // 28x28x128
                     DownBlock<256>, Relu, BasicBlock<256>, Relu,                      // 14x14x256
                     DownBlock<512>, Relu, BasicBlock<512>, Relu,                      // 7x7x512
                     GlobalAvgPool, Dense<1000>>;

// torchvision's resnet18 has 11,689,512 parameters (batch norm's scale and shift included, its
// running statistics not).
static_assert(ResNet18::param_count == 11689512);
static_assert(ResNet18::output_shape == Shape{1, 1, 1000});

}  // namespace nets
