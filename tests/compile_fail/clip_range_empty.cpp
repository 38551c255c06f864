// Compile-fail case: a Clip whose low bound lies above its high bound.
// expect: empty_clip_range<kiln::error::where<kiln::error::layer<1> >, kiln::Clip<std::ratio<6, 1>, std::ratio<0, 1> >, kiln::error::clip_range<6, 1, 0, 1> >
#include <kiln/dsl.hpp>
using namespace kiln;
#ifndef KILN_TWIN
using N = Net<Input<8, 8, 3>, Clip<std::ratio<6>, std::ratio<0>>>;
#else
using N = Net<Input<8, 8, 3>, Clip<std::ratio<0>, std::ratio<6>>>;  // the near-identical twin that must compile
#endif
static_assert(N::valid);
