// Fashion-MNIST nets. FashionTwoConv is the "2 Conv+pooling" row of Fashion-MNIST's benchmark
// table (91.6 % test accuracy there): two 5x5 'same' convs of 32 and 64 filters, each with ReLU
// and 2x2 max pooling, a dense layer of 128 with ReLU, and 10 classes.
#pragma once

#include <kiln/dsl.hpp>

namespace nets {
using namespace kiln;

using FashionTwoConv = Net<Input<28, 28, 1>,
                           Conv<32, Kernel<5>, Same>, Relu, MaxPool<Window<2>>,  // 14x14x32
                           Conv<64, Kernel<5>, Same>, Relu, MaxPool<Window<2>>,  // 7x7x64
                           Dense<128>, Relu, Dense<10>, Softmax>;
static_assert(FashionTwoConv::shapes[6] == Shape{7, 7, 64});

}  // namespace nets
