// The benchmark plan's single-block workloads (bench/, kiln-inspect).
#pragma once

#include <kiln/dsl.hpp>

namespace nets {
using namespace kiln;
// TensorFlow CIFAR-10 conv1 and conv2 blocks.
using W1 = Net<Input<24, 24, 3>, Conv<64, Kernel<5>, Same>, Relu, MaxPool<Window<3>, Stride<2>, Same>>;
using W2 = Net<Input<12, 12, 64>, Conv<64, Kernel<5>, Same>, Relu, MaxPool<Window<3>, Stride<2>, Same>>;
// GoogLeNet stem and conv2 blocks.
using W3 = Net<Input<224, 224, 3>, Conv<64, Kernel<7>, Stride<2>, Pad<3>>, Relu, MaxPool<Window<3>, Stride<2>, Same>>;
using W4 = Net<Input<56, 56, 64>, Conv<192, Kernel<3>, Pad<1>>, Relu, MaxPool<Window<3>, Stride<2>, Same>>;
// MobileNet v1's depthwise-separable block at 56x56 (its third): a 3x3 depthwise conv and a 1x1
// pointwise conv, each followed by ReLU (batch norm folded into the convs for inference).
using W6 = Net<Input<56, 56, 128>, DepthwiseConv<128, Kernel<3>, Pad<1>>, Relu, Conv<128, Kernel<1>>, Relu>;
using W6Depthwise = Net<Input<56, 56, 128>, DepthwiseConv<128, Kernel<3>, Pad<1>>, Relu>;
}  // namespace nets
