// Fashion-MNIST nets. FashionTwoConv is the "2 Conv+pooling" row of Fashion-MNIST's benchmark
// table (91.6 % test accuracy there): two 5x5 'same' convs of 32 and 64 filters, each with ReLU
// and 2x2 max pooling, a dense layer of 128 with ReLU, and 10 classes. FashionTwoConvBn adds batch
// norm; FashionTwoConvSe is today's form of the same net: layer norm, SiLU and squeeze-excitation.
#pragma once

#include <kiln/dsl.hpp>

namespace nets {
using namespace kiln;

using FashionTwoConv = Net<Input<28, 28, 1>,
                           Conv<32, Kernel<5>, Same>, Relu, MaxPool<Window<2>>,  // 14x14x32
                           Conv<64, Kernel<5>, Same>, Relu, MaxPool<Window<2>>,  // 7x7x64
                           Dense<128>, Relu, Dense<10>, Softmax>;
static_assert(FashionTwoConv::shapes[6] == Shape{7, 7, 64});

// The "2 Conv+pooling+BN" row (93.4 % there): the same net with batch norm after each conv and the
// dense layer, and dropout of a quarter before the classifier.
using FashionTwoConvBn = Net<Input<28, 28, 1>,
                             Conv<32, Kernel<5>, Same>, BatchNorm, Relu, MaxPool<Window<2>>,  // 14x14x32
                             Conv<64, Kernel<5>, Same>, BatchNorm, Relu, MaxPool<Window<2>>,  // 7x7x64
                             Dense<128>, BatchNorm, Relu, Dropout<std::ratio<1, 4>>, Dense<10>, Softmax>;

// The two-conv net with layer norm over channels (ConvNeXt's), SiLU for ReLU, and each conv's
// channels rescaled by squeeze-excitation (to a quarter of them and back), as EfficientNet's
// blocks do.
using FashionTwoConvSe = Net<Input<28, 28, 1>,
                             Conv<32, Kernel<5>, Same>, LayerNorm<>, Silu, SqueezeExcite<32, 8, Silu>, MaxPool<Window<2>>,  // 14x14x32
                             Conv<64, Kernel<5>, Same>, LayerNorm<>, Silu, SqueezeExcite<64, 16, Silu>, MaxPool<Window<2>>,  // 7x7x64
                             Dense<128>, LayerNorm<>, Silu, Dropout<std::ratio<1, 4>>, Dense<10>, Softmax>;

}  // namespace nets
