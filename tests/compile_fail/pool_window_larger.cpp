// Compile-fail case: a 5x5 pooling window on a 4x4 map (after two layers).
// expect: window_larger_than_padded_input<kiln::error::where<kiln::error::layer<3> >, kiln::MaxPool<kiln::Window<5, 5> >, kiln::error::input_shape<4, 4, 2>, kiln::error::padded_input<4, 4>, kiln::error::window<5, 5> >
#include <kiln/dsl.hpp>
using namespace kiln;
#ifndef KILN_TWIN
using N = Net<Input<6, 6, 1>, Conv<2, Kernel<3>>, Relu, MaxPool<Window<5>>>;
#else
using N = Net<Input<6, 6, 1>, Conv<2, Kernel<3>>, Relu, MaxPool<Window<4>>>;  // the near-identical twin that must compile
#endif
static_assert(N::valid);
