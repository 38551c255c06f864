// Compile-fail case: a zero dilation.
// expect: zero_dilation<kiln::error::where<kiln::error::layer<1> >, kiln::Conv<4, kiln::Kernel<3, 3>, kiln::Dilation<1, 0> >, kiln::error::dilation<1, 0> >
#include <kiln/dsl.hpp>
using namespace kiln;
#ifndef KILN_TWIN
using N = Net<Input<8, 8, 3>, Conv<4, Kernel<3>, Dilation<1, 0>>>;
#else
using N = Net<Input<8, 8, 3>, Conv<4, Kernel<3>, Dilation<1, 1>>>;  // the near-identical twin that must compile
#endif
static_assert(N::valid);
