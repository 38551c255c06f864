// Concat<Branch<...>, Branch<...>, ...>: every branch reads the same input; their outputs, which must
// agree in rows and columns, are joined along channels in the order given (GoogLeNet's inception
// module). An empty Branch<> passes the input through. No learned tensors of its own.
#pragma once

#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>

#include "kiln/dsl/sequence.hpp"

namespace kiln {

struct ConcatAttrs {
    static constexpr const char* kind = "concat";
};

template <class... Branches>
struct Concat {
    static constexpr ConcatAttrs attrs{};
    static constexpr auto branch_types = boost::hana::tuple_t<Branches...>;
    static constexpr std::size_t size = sizeof...(Branches);

    static constexpr Check check(Shape in, bool strict) {
        if (size == 0) return fail(Rule::empty_concat);
        const Check checks[] = {Check{}, Branches::check(in, strict)...};
        for (std::size_t b = 0; b < size; ++b)
            if (!checks[b + 1].ok()) return fail(Rule::nested, extent_t(b));
        const Shape outs[] = {Shape{}, Branches::output(in)...};
        for (std::size_t b = 1; b < size; ++b)
            if (outs[b + 1].h != outs[1].h || outs[b + 1].w != outs[1].w)
                return fail(Rule::concat_spatial_mismatch, outs[1].h, outs[1].w, extent_t(b + 1), outs[b + 1].h,
                            outs[b + 1].w);
        return check_ok();
    }
    static constexpr Shape output(Shape in) {
        const Shape outs[] = {Shape{}, Branches::output(in)...};
        Shape s{outs[size > 0 ? 1 : 0].h, outs[size > 0 ? 1 : 0].w, 0};
        for (std::size_t b = 0; b < size; ++b) s.c += outs[b + 1].c;
        return s;
    }
    static constexpr extent_t params(Shape in) { return (extent_t(0) + ... + Branches::params(in)); }
    static constexpr extent_t macs(Shape in) { return (extent_t(0) + ... + Branches::macs(in)); }

    template <class Where, extent_t H, extent_t W, extent_t C, bool Strict>
    static constexpr bool raise() {
        constexpr Check ck = check(Shape{H, W, C}, Strict);
        if constexpr (ck.rule == Rule::nested) {
            using failing = typename detail::nth_or_void<std::size_t(ck.v[0]), Branches...>::type;
            using where = typename detail::append_step<Where, error::branch<ck.v[0] + 1>>::type;
            return failing::template raise<where, H, W, C, Strict>();
        } else {
            return error::report<Where, Concat, void, H, W, C, ck.rule, ck.v[0], ck.v[1], ck.v[2], ck.v[3], ck.v[4],
                                 ck.v[5]>();
        }
    }
};

}  // namespace kiln
