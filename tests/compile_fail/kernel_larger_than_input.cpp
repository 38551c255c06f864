// Compile-fail case: a 9x9 kernel on the 8x8 output of layer 1.
// expect: kernel_larger_than_padded_input<kiln::error::where<kiln::error::layer<2> >, kiln::Conv<4, kiln::Kernel<9, 9> >, kiln::error::input_shape<8, 8, 3>, kiln::error::padded_input<8, 8>, kiln::error::dilated_kernel<9, 9> >
#include <kiln/dsl.hpp>
using namespace kiln;
#ifndef KILN_TWIN
using N = Net<Input<8, 8, 3>, Relu, Conv<4, Kernel<9>>>;
#else
using N = Net<Input<8, 8, 3>, Relu, Conv<4, Kernel<8>>>;  // the near-identical twin that must compile
#endif
static_assert(N::valid);
