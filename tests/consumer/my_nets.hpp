// The consumer's own net, declared in its own header: nothing of kiln's examples.
#pragma once

#include <kiln/dsl.hpp>

namespace my_nets {
using namespace kiln;
using EdgeNet = Net<Input<20, 18, 2>, Conv<12, Kernel<3>, Same>, Relu, MaxPool<Window<2>>,  // 10x9x12
                    Conv<8, Kernel<3, 2>, Stride<2>>, Relu,                                 // 4x4x8
                    Dense<5>, Softmax>;
static_assert(EdgeNet::shapes[3] == Shape{10, 9, 12});
}  // namespace my_nets
