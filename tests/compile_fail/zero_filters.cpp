// Compile-fail case: a convolution with no filters.
// expect: zero_filters<kiln::error::where<kiln::error::layer<1> >, kiln::Conv<0, kiln::Kernel<3, 3> >, kiln::error::filters<0> >
#include <kiln/dsl.hpp>
using namespace kiln;
#ifndef KILN_TWIN
using N = Net<Input<8, 8, 3>, Conv<0, Kernel<3>>>;
#else
using N = Net<Input<8, 8, 3>, Conv<1, Kernel<3>>>;  // the near-identical twin that must compile
#endif
static_assert(N::valid);
