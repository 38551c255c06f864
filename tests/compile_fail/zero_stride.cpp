// Compile-fail case: a zero stride.
// expect: zero_stride<kiln::error::where<kiln::error::layer<1> >, kiln::Conv<4, kiln::Kernel<3, 3>, kiln::Stride<0, 0> >, kiln::error::stride<0, 0> >
#include <kiln/dsl.hpp>
using namespace kiln;
#ifndef KILN_TWIN
using N = Net<Input<8, 8, 3>, Conv<4, Kernel<3>, Stride<0>>>;
#else
using N = Net<Input<8, 8, 3>, Conv<4, Kernel<3>, Stride<1>>>;  // the near-identical twin that must compile
#endif
static_assert(N::valid);
