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
// For kernels generated per segment: a Residual, two equal residual blocks (one compiled pipeline
// for both), a Concat whose branches write their slices of a tensor between segments, one with a
// pass-through-free pool branch, and a Concat as the last layer, whose branches write their slices
// of the caller's output.
using Block = Residual<Body<Conv<8, Kernel<3>, Same>, Relu, Conv<8, Kernel<3>, Same>>>;
using Branchy = Net<Input<10, 9, 6>, Conv<8, Kernel<3>, Same>, Relu, Block, Block,
                    Concat<Branch<Conv<4, Kernel<1>>, Relu>, Branch<Conv<3, Kernel<1>>, Relu, Conv<5, Kernel<3>, Same>>,
                           Branch<MaxPool<Window<3>, Stride<1>, Same>, Conv<2, Kernel<1>>>>,
                    MaxPool<Window<2>>, Concat<Branch<Conv<6, Kernel<1>>>, Branch<Conv<5, Kernel<3>, Same>, Relu>>>;
}  // namespace aot_nets
