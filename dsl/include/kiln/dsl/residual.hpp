// Residual<Body<...>, Shortcut<...>>: out = body(in) + shortcut(in), ResNet's basic block. The
// shortcut defaults to the identity; give a 1x1 projection (Shortcut<Conv<C, Kernel<1>, Stride<s>>>)
// when the body changes the shape. Body and shortcut outputs must agree exactly. ResNet's ReLU after
// the add is an ordinary next layer. No learned tensors of its own.
#pragma once

#include "kiln/dsl/sequence.hpp"

namespace kiln {

struct ResidualAttrs {
    static constexpr const char* kind = "residual";
};

template <class BodySeq, class ShortcutSeq = Shortcut<>>
struct Residual {
    static constexpr ResidualAttrs attrs{};
    using body_type = BodySeq;
    using shortcut_type = ShortcutSeq;

    static constexpr Check check(Shape in, bool strict) {
        if (!BodySeq::check(in, strict).ok()) return fail(Rule::nested, 0);
        if (!ShortcutSeq::check(in, strict).ok()) return fail(Rule::nested, 1);
        const Shape a = BodySeq::output(in), b = ShortcutSeq::output(in);
        if (a != b) return fail(Rule::residual_shape_mismatch, a.h, a.w, a.c, b.h, b.w, b.c);
        return check_ok();
    }
    static constexpr Shape output(Shape in) { return BodySeq::output(in); }
    static constexpr extent_t params(Shape in) { return BodySeq::params(in) + ShortcutSeq::params(in); }
    static constexpr extent_t macs(Shape in) { return BodySeq::macs(in) + ShortcutSeq::macs(in); }

    template <class Where, extent_t H, extent_t W, extent_t C, bool Strict>
    static constexpr bool raise() {
        constexpr Check ck = check(Shape{H, W, C}, Strict);
        if constexpr (ck.rule == Rule::nested) {
            using failing = std::conditional_t<ck.v[0] == 0, BodySeq, ShortcutSeq>;
            using where = typename detail::append_step<Where, error::branch<ck.v[0] + 1>>::type;
            return failing::template raise<where, H, W, C, Strict>();
        } else {
            return error::report<Where, Residual, void, H, W, C, ck.rule, ck.v[0], ck.v[1], ck.v[2], ck.v[3],
                                 ck.v[4], ck.v[5]>();
        }
    }
};

}  // namespace kiln
