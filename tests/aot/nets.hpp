// Nets the AOT tests generate kernels for (tests/CMakeLists.txt, kiln_add_net).
#pragma once

#include <kiln/dsl.hpp>

namespace aot_nets {
using namespace kiln;
// W1 of the benchmark plan: conv 5x5x64 same, ReLU, max-pool 3x3/2 same.
using W1 = Net<Input<24, 24, 3>, Conv<64, Kernel<5>, Same>, Relu, MaxPool<Window<3>, Stride<2>, Same>>;
// Odd shapes for the GPU schedule's guards: 20 channels, a stride-2 conv, an average pool.
using Odd = Net<Input<13, 11, 5>, Conv<20, Kernel<3>, Same>, Relu, Conv<16, Kernel<3>, Stride<2>>, Relu,
                AvgPool<Window<2>>, Dense<10>, Softmax>;
}  // namespace aot_nets
