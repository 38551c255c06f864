// Compile-fail case: a depthwise conv declared for 32 channels over a 24-channel input.
// expect: channels_not_divisible_by_groups<kiln::error::where<kiln::error::layer<2> >, kiln::Conv<32, kiln::Groups<32>, kiln::Kernel<3, 3>, kiln::Pad<1, 1> >, kiln::error::input_channels<24>, kiln::error::filters<32>, kiln::error::groups<32> >
#include <kiln/dsl.hpp>
using namespace kiln;
#ifndef KILN_TWIN
using N = Net<Input<8, 8, 3>, Conv<24, Kernel<1>>, DepthwiseConv<32, Kernel<3>, Pad<1>>>;
#else
using N = Net<Input<8, 8, 3>, Conv<32, Kernel<1>>, DepthwiseConv<32, Kernel<3>, Pad<1>>>;  // the near-identical twin that must compile
#endif
static_assert(N::valid);
