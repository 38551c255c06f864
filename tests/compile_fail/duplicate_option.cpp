// Compile-fail case: two kernels given to one Conv.
// expect: duplicate_option<kiln::error::where<kiln::error::layer<1> >, kiln::Conv<4, kiln::Kernel<3, 3>, kiln::Same, kiln::Kernel<5, 5> >, kiln::error::option_number<3>, kiln::error::option<kiln::Kernel<5, 5> > >
#include <kiln/dsl.hpp>
using namespace kiln;
#ifndef KILN_TWIN
using N = Net<Input<8, 8, 3>, Conv<4, Kernel<3>, Same, Kernel<5>>>;
#else
using N = Net<Input<8, 8, 3>, Conv<4, Kernel<3>, Same>>;  // the near-identical twin that must compile
#endif
static_assert(N::valid);
