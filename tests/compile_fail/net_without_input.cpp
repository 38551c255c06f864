// Compile-fail case: a net whose first layer is not an Input.
// expect: net_must_start_with_input<kiln::error::where<kiln::error::layer<0> >, kiln::Conv<4, kiln::Kernel<3, 3> > >
#include <kiln/dsl.hpp>
using namespace kiln;
#ifndef KILN_TWIN
using N = Net<Conv<4, Kernel<3>>, Relu>;
#else
using N = Net<Input<8, 8, 3>, Conv<4, Kernel<3>>, Relu>;  // the near-identical twin that must compile
#endif
static_assert(N::valid);
