// Compile-fail case: an input with zero rows.
// expect: input_extent_below_1<kiln::error::where<kiln::error::layer<0> >, kiln::Input<0, 8, 3>, kiln::error::input_shape<0, 8, 3> >
#include <kiln/dsl.hpp>
using namespace kiln;
#ifndef KILN_TWIN
using N = Net<Input<0, 8, 3>, Relu>;
#else
using N = Net<Input<1, 8, 3>, Relu>;  // the near-identical twin that must compile
#endif
static_assert(N::valid);
