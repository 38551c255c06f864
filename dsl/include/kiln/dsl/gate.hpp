// Gate<Branch<...>>: out = in * branch(in). The branch gives either one value per channel (1x1xC),
// broadcast over rows and columns -- squeeze-excitation, the channel attention of EfficientNet,
// MobileNetV3 and RegNetY -- or one value per input value (the input's shape). SqueezeExcite
// spells the usual branch: global average pool, a 1x1 conv down to Squeezed channels, an
// activation, a 1x1 conv back up to Channels, and a gate function (sigmoid, or a hard sigmoid).
// No learned tensors of its own.
#pragma once

#include "kiln/dsl/activation.hpp"
#include "kiln/dsl/conv.hpp"
#include "kiln/dsl/pool.hpp"
#include "kiln/dsl/sequence.hpp"

namespace kiln {

struct GateAttrs {
    static constexpr const char* kind = "gate";
};

template <class BranchSeq>
struct Gate {
    static constexpr GateAttrs attrs{};
    using branch_type = BranchSeq;

    static constexpr Check check(Shape in, bool strict) {
        if (!BranchSeq::check(in, strict).ok()) return fail(Rule::nested, 0);
        const Shape s = BranchSeq::output(in);
        if (s != in && !(s.h == 1 && s.w == 1 && s.c == in.c)) return fail(Rule::gate_shape_mismatch, in.h, in.w, in.c, s.h, s.w, s.c);
        return check_ok();
    }
    static constexpr Shape output(Shape in) { return in; }
    static constexpr extent_t params(Shape in) { return BranchSeq::params(in); }
    static constexpr extent_t macs(Shape in) { return BranchSeq::macs(in); }

    template <class Where, extent_t H, extent_t W, extent_t C, bool Strict>
    static constexpr bool raise() {
        constexpr Check ck = check(Shape{H, W, C}, Strict);
        if constexpr (ck.rule == Rule::nested) {
            using where = typename detail::append_step<Where, error::branch<1>>::type;
            return BranchSeq::template raise<where, H, W, C, Strict>();
        } else {
            return error::report<Where, Gate, void, H, W, C, ck.rule, ck.v[0], ck.v[1], ck.v[2], ck.v[3], ck.v[4], ck.v[5]>();
        }
    }
};

template <extent_t Channels, extent_t Squeezed, class Activation = Relu, class GateFunction = Sigmoid>
using SqueezeExcite = Gate<Branch<GlobalAvgPool, Conv<Squeezed, Kernel<1>>, Activation, Conv<Channels, Kernel<1>>, GateFunction>>;

}  // namespace kiln
