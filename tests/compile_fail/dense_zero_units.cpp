// Compile-fail case: a Dense layer with no units.
// expect: zero_units<kiln::error::where<kiln::error::layer<2> >, kiln::Dense<0>, kiln::error::units<0> >
#include <kiln/dsl.hpp>
using namespace kiln;
#ifndef KILN_TWIN
using N = Net<Input<4, 4, 3>, Relu, Dense<0>>;
#else
using N = Net<Input<4, 4, 3>, Relu, Dense<1>>;  // the near-identical twin that must compile
#endif
static_assert(N::valid);
