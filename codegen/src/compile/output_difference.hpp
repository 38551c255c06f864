// How far one schedule's output is from another's on the same input: the check behind refusing a
// miscompiled autoschedule (jit.cpp) and dropping a tuner candidate (tune.cpp). Both compare fp32
// results of the same sums in another order, so they agree to 1e-4 of the output's largest value;
// a wrong index or a NaN is far outside that.
#pragma once

#include <algorithm>
#include <cmath>

#include "kiln/runtime/tensor.hpp"

namespace kiln::codegen::detail {

struct OutputDifference {
    double worst = 0;  // max |got - want|; infinite when a value is NaN in one and not the other
    double scale = 0;  // max |want|
    bool agrees() const { return worst <= 1e-4 * std::max(scale, 1e-30); }
};

inline OutputDifference output_difference(const Tensor& got, const Tensor& want) {
    OutputDifference d;
    for (std::size_t i = 0; i < want.size(); ++i) {
        d.scale = std::max(d.scale, double(std::fabs(want.values()[i])));
        const double diff = std::fabs(double(got.values()[i]) - double(want.values()[i]));
        d.worst = std::isnan(diff) ? INFINITY : std::max(d.worst, diff);
    }
    return d;
}

}  // namespace kiln::codegen::detail
