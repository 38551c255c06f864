// Compile-fail case: a layer norm with epsilon 0 (a constant pixel would divide by zero).
// expect: ratio_out_of_range<kiln::error::where<kiln::error::layer<2> >, kiln::LayerNorm<std::ratio<0, 1> >, kiln::error::ratio<0, 1> >
#include <kiln/dsl.hpp>
using namespace kiln;
#ifndef KILN_TWIN
using N = Net<Input<8, 8, 3>, Conv<8, Kernel<3>, Same>, LayerNorm<std::ratio<0>>>;
#else
using N = Net<Input<8, 8, 3>, Conv<8, Kernel<3>, Same>, LayerNorm<std::ratio<1, 1000000>>>;  // the near-identical twin that must compile
#endif
static_assert(N::valid);
