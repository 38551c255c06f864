// Compile-fail case: a channel shuffle whose groups do not divide the channels.
// expect: shuffle_groups_not_dividing_channels<kiln::error::where<kiln::error::layer<2> >, kiln::ChannelShuffle<3>, kiln::error::input_channels<16>, kiln::error::groups<3> >
#include <kiln/dsl.hpp>
using namespace kiln;
#ifndef KILN_TWIN
using N = Net<Input<8, 8, 8>, Conv<16, Kernel<3>, Same>, ChannelShuffle<3>>;
#else
using N = Net<Input<8, 8, 8>, Conv<16, Kernel<3>, Same>, ChannelShuffle<4>>;  // the near-identical twin that must compile
#endif
static_assert(N::valid);
