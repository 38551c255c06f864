// Compile-fail case: 3 groups cannot split 16 input channels evenly.
// expect: channels_not_divisible_by_groups<kiln::error::where<kiln::error::layer<2> >, kiln::Conv<12, kiln::Kernel<3, 3>, kiln::Groups<3> >, kiln::error::input_channels<16>, kiln::error::filters<12>, kiln::error::groups<3> >
#include <kiln/dsl.hpp>
using namespace kiln;
#ifndef KILN_TWIN
using N = Net<Input<8, 8, 3>, Conv<16, Kernel<1>>, Conv<12, Kernel<3>, Groups<3>>>;
#else
using N = Net<Input<8, 8, 3>, Conv<18, Kernel<1>>, Conv<12, Kernel<3>, Groups<3>>>;  // the near-identical twin that must compile
#endif
static_assert(N::valid);
