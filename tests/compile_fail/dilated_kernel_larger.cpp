// Compile-fail case: a 3x3 kernel dilated by 4 spans 9 rows, more than the 8 given.
// expect: kernel_larger_than_padded_input<kiln::error::where<kiln::error::layer<1> >, kiln::Conv<2, kiln::Kernel<3, 3>, kiln::Dilation<4, 4> >, kiln::error::input_shape<8, 8, 1>, kiln::error::padded_input<8, 8>, kiln::error::dilated_kernel<9, 9> >
#include <kiln/dsl.hpp>
using namespace kiln;
#ifndef KILN_TWIN
using N = Net<Input<8, 8, 1>, Conv<2, Kernel<3>, Dilation<4>>>;
#else
using N = Net<Input<8, 8, 1>, Conv<2, Kernel<3>, Dilation<3>>>;  // the near-identical twin that must compile
#endif
static_assert(N::valid);
