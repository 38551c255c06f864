// Compile-fail case: a dropout rate of 1 (drops everything).
// expect: ratio_out_of_range<kiln::error::where<kiln::error::layer<1> >, kiln::Dropout<std::ratio<1, 1> >, kiln::error::ratio<1, 1> >
#include <kiln/dsl.hpp>
using namespace kiln;
#ifndef KILN_TWIN
using N = Net<Input<4, 4, 3>, Dropout<std::ratio<1, 1>>>;
#else
using N = Net<Input<4, 4, 3>, Dropout<std::ratio<9, 10>>>;  // the near-identical twin that must compile
#endif
static_assert(N::valid);
