// Compile-fail case: concat branches of 6x6 and 8x8.
// expect: concat_spatial_mismatch<kiln::error::where<kiln::error::layer<1> >, kiln::error::first_branch_output<6, 6>, kiln::error::branch_output<2, 8, 8> >
#include <kiln/dsl.hpp>
using namespace kiln;
#ifndef KILN_TWIN
using N = Net<Input<8, 8, 3>, Concat<Branch<Conv<4, Kernel<3>>>, Branch<Conv<4, Kernel<1>>>>>;
#else
using N = Net<Input<8, 8, 3>, Concat<Branch<Conv<4, Kernel<3>, Same>>, Branch<Conv<4, Kernel<1>>>>>;  // the near-identical twin that must compile
#endif
static_assert(N::valid);
