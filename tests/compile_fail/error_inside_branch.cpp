// Compile-fail case: a zero stride inside the second branch of a concat: the path names it.
// expect: zero_stride<kiln::error::where<kiln::error::layer<2>, kiln::error::branch<2>, kiln::error::layer<2> >, kiln::Conv<4, kiln::Kernel<3, 3>, kiln::Stride<0, 0> >, kiln::error::stride<0, 0> >
#include <kiln/dsl.hpp>
using namespace kiln;
#ifndef KILN_TWIN
using N = Net<Input<8, 8, 3>, Relu, Concat<Branch<Conv<4, Kernel<1>>>, Branch<Relu, Conv<4, Kernel<3>, Stride<0>>>>>;
#else
using N = Net<Input<8, 8, 3>, Relu, Concat<Branch<Conv<4, Kernel<1>>>, Branch<Relu, Conv<4, Kernel<3>, Stride<1>, Same>>>>;  // the near-identical twin that must compile
#endif
static_assert(N::valid);
