// Compile-fail case: strict mode: a 3x3/2 valid conv on 8 rows never reads the last row.
// expect: stride_drops_input<kiln::error::where<kiln::error::layer<1> >, kiln::Conv<1, kiln::Kernel<3, 3>, kiln::Stride<2, 2> >, kiln::error::input_shape<8, 8, 1>, kiln::error::axis_numbers<kiln::error::rows, 8, 3, 2, 1> >
#include <kiln/dsl.hpp>
using namespace kiln;
#ifndef KILN_TWIN
using N = StrictNet<Input<8, 8, 1>, Conv<1, Kernel<3>, Stride<2>>>;
#else
using N = StrictNet<Input<9, 9, 1>, Conv<1, Kernel<3>, Stride<2>>>;  // the near-identical twin that must compile
#endif
static_assert(N::valid);
