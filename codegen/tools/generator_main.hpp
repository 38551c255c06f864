// kiln's build-time generator, all but the net: kiln_generate.cpp declares the net and calls this.
#pragma once

#include "kiln/dsl/layer_spec.hpp"

namespace kiln::tools {

// Parses the generator's flags and writes the kernel for `net` (or, with --runtime, the Halide
// runtime; `net` may then be null). Returns the process's exit code.
int generator_main(int argc, char** argv, const NetSpec* net);

}  // namespace kiln::tools
