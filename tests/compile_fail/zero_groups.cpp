// Compile-fail case: a convolution of zero groups.
// expect: zero_groups<kiln::error::where<kiln::error::layer<1> >, kiln::Conv<4, kiln::Kernel<3, 3>, kiln::Groups<0> >, kiln::error::groups<0> >
#include <kiln/dsl.hpp>
using namespace kiln;
#ifndef KILN_TWIN
using N = Net<Input<8, 8, 4>, Conv<4, Kernel<3>, Groups<0>>>;
#else
using N = Net<Input<8, 8, 4>, Conv<4, Kernel<3>, Groups<1>>>;  // the near-identical twin that must compile
#endif
static_assert(N::valid);
