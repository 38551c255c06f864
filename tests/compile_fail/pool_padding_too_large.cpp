// Compile-fail case: pool padding as large as the window (windows wholly in padding).
// expect: padding_not_smaller_than_window<kiln::error::where<kiln::error::layer<1> >, kiln::MaxPool<kiln::Window<2, 2>, kiln::Pad<2, 2> >, kiln::error::padding<2, 2, 2, 2>, kiln::error::window<2, 2> >
#include <kiln/dsl.hpp>
using namespace kiln;
#ifndef KILN_TWIN
using N = Net<Input<8, 8, 3>, MaxPool<Window<2>, Pad<2>>>;
#else
using N = Net<Input<8, 8, 3>, MaxPool<Window<2>, Pad<1>>>;  // the near-identical twin that must compile
#endif
static_assert(N::valid);
