// Compile-fail case: a squeeze-excitation branch that ends with the wrong number of channels.
// expect: gate_shape_mismatch<kiln::error::where<kiln::error::layer<2> >, kiln::error::gate_input<8, 8, 16>, kiln::error::gate_branch_output<1, 1, 12> >
#include <kiln/dsl.hpp>
using namespace kiln;
#ifndef KILN_TWIN
using N = Net<Input<8, 8, 8>, Conv<16, Kernel<3>, Same>, SqueezeExcite<12, 4>>;
#else
using N = Net<Input<8, 8, 8>, Conv<16, Kernel<3>, Same>, SqueezeExcite<16, 4>>;  // the near-identical twin that must compile
#endif
static_assert(N::valid);
