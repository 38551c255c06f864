// ratio_of: the first continued-fraction convergent of a float that converts back to it.
#include "ratio.hpp"

#include <cmath>

namespace kiln::onnx::detail {

Ratio ratio_of(float v) {
    const bool negative = v < 0;
    const double target = std::fabs(double(v));
    // Convergents h/k of target: h(n) = a(n) h(n-1) + h(n-2), likewise k.
    std::int64_t h0 = 0, h1 = 1, k0 = 1, k1 = 0;
    double rest = target;
    Ratio best{0, 1};
    for (int step = 0; step < 64; ++step) {
        const double whole = std::floor(rest);
        if (whole > 1e15) break;
        const std::int64_t a = std::int64_t(whole);
        const std::int64_t h = a * h1 + h0, k = a * k1 + k0;
        if (k > (std::int64_t(1) << 40) || h > (std::int64_t(1) << 52)) break;
        best = Ratio{h, k};
        if (float(best.value()) == float(target)) break;
        h0 = h1, h1 = h, k0 = k1, k1 = k;
        const double fraction = rest - whole;
        if (fraction <= 0) break;
        rest = 1.0 / fraction;
    }
    if (negative) best.num = -best.num;
    return best;
}

}  // namespace kiln::onnx::detail
