// Compile-fail case: a Dilation given to an AvgPool (only max pooling takes a dilated window).
// expect: option_not_accepted<kiln::error::where<kiln::error::layer<1> >, kiln::AvgPool<kiln::Window<2, 2>, kiln::Dilation<2, 2> >, kiln::error::option_number<2>, kiln::error::option<kiln::Dilation<2, 2> > >
#include <kiln/dsl.hpp>
using namespace kiln;
#ifndef KILN_TWIN
using N = Net<Input<8, 8, 3>, AvgPool<Window<2>, Dilation<2>>>;
#else
using N = Net<Input<8, 8, 3>, MaxPool<Window<2>, Dilation<2>>>;  // the near-identical twin that must compile
#endif
static_assert(N::valid);
