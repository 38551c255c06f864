// Dropout<Rate>: identity at inference (kiln runs inference; frameworks scale at training time, so
// nothing is rescaled here). The rate, a std::ratio in [0, 1), is kept for the summary.
#pragma once

#include "kiln/dsl/simple_layer.hpp"

namespace kiln {

struct DropoutAttrs {
    static constexpr const char* kind = "dropout";
    extent_t rate_num = 0, rate_den = 1;
    constexpr double rate() const { return double(rate_num) / double(rate_den); }
    constexpr Check check(Shape, bool) const {
        if (rate_den <= 0 || rate_num < 0 || rate_num >= rate_den)
            return fail(Rule::ratio_out_of_range, rate_num, rate_den);
        return check_ok();
    }
    constexpr Shape output(Shape in) const { return in; }
    constexpr ParamShapes param_shapes(Shape) const { return no_params(); }
    constexpr extent_t macs(Shape) const { return 0; }
};

template <class Rate = std::ratio<1, 2>>
struct Dropout : simple_layer<Dropout<Rate>, accepts<>> {
    static constexpr DropoutAttrs attrs{Rate::num, Rate::den};
};

}  // namespace kiln
