// The common face of every non-composite layer type. A layer type is a thin wrapper over a constexpr
// attribute value (ConvAttrs, PoolAttrs...): the value holds the rules (check, output shape, learned
// tensors, MACs), the type only parses options and reports a failed check as a compile error.
#pragma once

#include <boost/hana/at.hpp>
#include <boost/hana/basic_tuple.hpp>
#include <boost/hana/type.hpp>

#include "kiln/dsl/errors.hpp"
#include "kiln/dsl/options.hpp"
#include "kiln/dsl/param_shape.hpp"

namespace kiln {

namespace detail {
// The type at index I of a pack, or void when I is out of range (used only to name a bad option).
template <std::size_t I, class Enable, class... Ts>
struct nth_or_void_impl {
    using type = void;
};
template <std::size_t I, class... Ts>
struct nth_or_void_impl<I, std::enable_if_t<(I < sizeof...(Ts))>, Ts...> {
    using type = typename decltype(+boost::hana::at_c<I>(boost::hana::make_basic_tuple(boost::hana::type_c<Ts>...)))::type;
};
template <std::size_t I, class... Ts>
using nth_or_void = nth_or_void_impl<I, void, Ts...>;
}  // namespace detail

// Derived provides `static constexpr <Attrs> attrs`; Accepted is a hana::basic_tuple of the option
// categories the layer takes.
template <class Derived, class Accepted, class... Options>
struct simple_layer {
    static constexpr Check check(Shape in, bool strict) {
        constexpr Check options = detail::option_audit<Accepted, Options...>::run();
        if (!options.ok()) return options;
        return Derived::attrs.check(in, strict);
    }
    static constexpr Shape output(Shape in) { return Derived::attrs.output(in); }
    static constexpr extent_t params(Shape in) { return Derived::attrs.param_shapes(in).elements(); }
    static constexpr extent_t macs(Shape in) { return Derived::attrs.macs(in); }

    template <class Where, extent_t H, extent_t W, extent_t C, bool Strict>
    static constexpr bool raise() {
        constexpr Check ck = check(Shape{H, W, C}, Strict);
        constexpr bool names_option = ck.rule == Rule::option_not_accepted || ck.rule == Rule::duplicate_option;
        using option_at = typename detail::nth_or_void<names_option ? std::size_t(ck.v[0]) : sizeof...(Options),
                                                       Options...>::type;
        return error::report<Where, Derived, option_at, H, W, C, ck.rule, ck.v[0], ck.v[1], ck.v[2], ck.v[3],
                             ck.v[4], ck.v[5]>();
    }
};

template <class... Categories>
using accepts = boost::hana::basic_tuple<Categories...>;

}  // namespace kiln
