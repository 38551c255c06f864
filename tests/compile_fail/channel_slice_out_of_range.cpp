// Compile-fail case: a channel slice past the input's channels.
// expect: channel_slice_out_of_range<kiln::error::where<kiln::error::layer<2> >, kiln::ChannelSlice<8, 20>, kiln::error::input_shape<8, 8, 16>, kiln::error::channel_range<8, 20> >
#include <kiln/dsl.hpp>
using namespace kiln;
#ifndef KILN_TWIN
using N = Net<Input<8, 8, 8>, Conv<16, Kernel<3>, Same>, ChannelSlice<8, 20>>;
#else
using N = Net<Input<8, 8, 8>, Conv<16, Kernel<3>, Same>, ChannelSlice<8, 16>>;  // the near-identical twin that must compile
#endif
static_assert(N::valid);
