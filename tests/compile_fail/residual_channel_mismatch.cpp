// Compile-fail case: a residual body that changes channels with an identity shortcut.
// expect: residual_shape_mismatch<kiln::error::where<kiln::error::layer<1> >, kiln::error::body_output<8, 8, 16>, kiln::error::shortcut_output<8, 8, 8> >
#include <kiln/dsl.hpp>
using namespace kiln;
#ifndef KILN_TWIN
using N = Net<Input<8, 8, 8>, Residual<Body<Conv<16, Kernel<3>, Same>>>>;
#else
using N = Net<Input<8, 8, 8>, Residual<Body<Conv<16, Kernel<3>, Same>>, Shortcut<Conv<16, Kernel<1>>>>>;  // the near-identical twin that must compile
#endif
static_assert(N::valid);
