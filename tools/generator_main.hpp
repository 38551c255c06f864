// kiln's build-time generator, all but the net: kiln_generate.cpp declares the net and calls this.
#pragma once

#include <functional>

#include "kiln/dsl/layer_spec.hpp"

namespace kiln::tools {

// Parses the generator's flags and writes the kernel for the net `describe` gives (called inside
// the generator's error handling), or with --runtime only the Halide runtime. Returns the
// process's exit code.
int generator_main(int argc, char** argv, const std::function<NetSpec()>& describe);

}  // namespace kiln::tools
