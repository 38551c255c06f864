// Dropout<Rate>: identity at inference. In training (codegen/train.hpp) it zeroes each value with
// probability Rate and scales the rest by 1 / (1 - Rate) (inverted dropout, as PyTorch), so
// inference needs no rescaling. The mask is counter-based, hence reproducible and the same in the
// forward and backward passes: for the value at (c, x, y, n) of a layer whose input is H x W x C,
//   i = ((n * H + y) * W + x) * C + c,   key = mix(step_seed ^ mix(k + 1)),
//   kept  iff  mix(i * 0x9E3779B9 + key) < round((1 - Rate) * 2^32)          (uint32 arithmetic)
// where k counts the net's dropout layers depth first from 0, step_seed is the trainer's seed for
// the step (TrainNet::dropout_seed), and mix is the lowbias32 integer hash:
//   x ^= x >> 16; x *= 0x7feb352d; x ^= x >> 15; x *= 0x846ca68b; x ^= x >> 16.
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
