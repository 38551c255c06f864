// Compile-fail case: a Conv without a Kernel option.
// expect: conv_needs_kernel<kiln::error::where<kiln::error::layer<1> >, kiln::Conv<4, kiln::Same> >
#include <kiln/dsl.hpp>
using namespace kiln;
#ifndef KILN_TWIN
using N = Net<Input<8, 8, 3>, Conv<4, Same>>;
#else
using N = Net<Input<8, 8, 3>, Conv<4, Kernel<1>, Same>>;  // the near-identical twin that must compile
#endif
static_assert(N::valid);
