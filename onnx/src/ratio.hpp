// Float attributes as the std::ratio a kiln declaration carries (LeakyRelu<std::ratio<1, 100>>):
// the simplest fraction that rounds back to the same float, so that the generated header, the
// import's NetSpec and the ONNX model compute with the same number.
#pragma once

#include <cstdint>

namespace kiln::onnx::detail {

struct Ratio {
    std::int64_t num = 0, den = 1;
    double value() const { return double(num) / double(den); }
};

// Continued-fraction convergents of v until one reads back as v in float; finite v only.
Ratio ratio_of(float v);

}  // namespace kiln::onnx::detail
