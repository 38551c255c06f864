// Compile-fail case: a residual body that halves the rows, the shortcut does not.
// expect: residual_shape_mismatch<kiln::error::where<kiln::error::layer<1> >, kiln::error::body_output<4, 4, 8>, kiln::error::shortcut_output<8, 8, 8> >
#include <kiln/dsl.hpp>
using namespace kiln;
#ifndef KILN_TWIN
using N = Net<Input<8, 8, 8>, Residual<Body<Conv<8, Kernel<3>, Stride<2>, Same>>, Shortcut<Conv<8, Kernel<1>>>>>;
#else
using N = Net<Input<8, 8, 8>, Residual<Body<Conv<8, Kernel<3>, Stride<2>, Same>>, Shortcut<Conv<8, Kernel<1>, Stride<2>>>>>;  // the near-identical twin that must compile
#endif
static_assert(N::valid);
