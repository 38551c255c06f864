// Compile-fail case: a hard sigmoid with a negative slope (alpha).
// expect: ratio_out_of_range<kiln::error::where<kiln::error::layer<2> >, kiln::HardSigmoid<std::ratio<-1, 6>, std::ratio<1, 2> >, kiln::error::ratio<-1, 6> >
#include <kiln/dsl.hpp>
using namespace kiln;
#ifndef KILN_TWIN
using N = Net<Input<8, 8, 3>, Conv<8, Kernel<3>, Same>, HardSigmoid<std::ratio<-1, 6>>>;
#else
using N = Net<Input<8, 8, 3>, Conv<8, Kernel<3>, Same>, HardSigmoid<std::ratio<1, 6>>>;  // the near-identical twin that must compile
#endif
static_assert(N::valid);
