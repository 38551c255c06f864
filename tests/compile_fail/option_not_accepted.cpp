// Compile-fail case: a Relu given to a Conv as an option (a misplaced comma).
// expect: option_not_accepted<kiln::error::where<kiln::error::layer<1> >, kiln::Conv<4, kiln::Kernel<3, 3>, kiln::ElementwiseActivation<kiln::ActivationFunction::relu> >, kiln::error::option_number<2>, kiln::error::option<kiln::ElementwiseActivation<kiln::ActivationFunction::relu> > >
#include <kiln/dsl.hpp>
using namespace kiln;
#ifndef KILN_TWIN
using N = Net<Input<8, 8, 3>, Conv<4, Kernel<3>, Relu>>;
#else
using N = Net<Input<8, 8, 3>, Conv<4, Kernel<3>>, Relu>;  // the near-identical twin that must compile
#endif
static_assert(N::valid);
