// Compile-fail case: a pooling window of zero columns.
// expect: zero_window<kiln::error::where<kiln::error::layer<1> >, kiln::AvgPool<kiln::Window<2, 0> >, kiln::error::window<2, 0> >
#include <kiln/dsl.hpp>
using namespace kiln;
#ifndef KILN_TWIN
using N = Net<Input<8, 8, 3>, AvgPool<Window<2, 0>>>;
#else
using N = Net<Input<8, 8, 3>, AvgPool<Window<2, 1>>>;  // the near-identical twin that must compile
#endif
static_assert(N::valid);
