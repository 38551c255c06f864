// The one exception type kiln throws at run time: bad input (a tensor of the wrong shape, an unknown
// weight or schedule name), or a failure reported by the generated code.
#pragma once

#include <stdexcept>
#include <string>

namespace kiln {

struct Error : std::runtime_error {
    explicit Error(const std::string& what) : std::runtime_error("kiln: " + what) {}
};

}  // namespace kiln
