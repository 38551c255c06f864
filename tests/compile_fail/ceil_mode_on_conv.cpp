// Compile-fail case: CeilMode given to a Conv (only pools round their output size up).
// expect: option_not_accepted<kiln::error::where<kiln::error::layer<1> >, kiln::Conv<4, kiln::Kernel<3, 3>, kiln::Stride<2, 2>, kiln::CeilMode>, kiln::error::option_number<3>, kiln::error::option<kiln::CeilMode> >
#include <kiln/dsl.hpp>
using namespace kiln;
#ifndef KILN_TWIN
using N = Net<Input<8, 8, 3>, Conv<4, Kernel<3>, Stride<2>, CeilMode>>;
#else
using N = Net<Input<8, 8, 3>, MaxPool<Window<3>, Stride<2>, CeilMode>>;  // the near-identical twin that must compile
#endif
static_assert(N::valid);
