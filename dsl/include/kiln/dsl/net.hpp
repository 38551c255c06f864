// Net<Input<H, W, C>, Layers...>: a network declared as a type. Instantiating it runs the shape fold
// and the checks at compile time; a bad net stops with one kiln::error::... message naming the layer
// and the numbers. StrictNet also rejects strides that silently drop input rows or columns.
//
//   using Tiny = kiln::Net<kiln::Input<32, 32, 3>, kiln::Conv<16, kiln::Kernel<5>, kiln::Same>, kiln::Relu,
//                          kiln::MaxPool<kiln::Window<2>>, kiln::Dense<10>, kiln::Softmax>;
//   static_assert(Tiny::output_shape == kiln::Shape{1, 1, 10});
//   static_assert(Tiny::param_count == 16 * 3 * 25 + 16 + 16 * 16 * 16 * 10 + 10);
#pragma once

#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>

#include "kiln/dsl/input.hpp"
#include "kiln/dsl/sequence.hpp"

namespace kiln {

namespace detail {
template <class T>
struct is_input : std::false_type {};
template <extent_t H, extent_t W, extent_t C>
struct is_input<Input<H, W, C>> : std::true_type {};

// Instantiates the first error of the net, if any; true otherwise.
template <bool Strict, class First, class... Layers>
constexpr bool diagnose_net() {
    if constexpr (!is_input<First>::value) {
        return sizeof(error::net_must_start_with_input<error::where<error::layer<0>>, First>) > 0;
    } else if constexpr (!First::attrs.check_as_first().ok()) {
        constexpr Shape s = First::shape;
        return error::report<error::where<error::layer<0>>, First, void, s.h, s.w, s.c, Rule::input_extent_below_1,
                             s.h, s.w, s.c, 0, 0, 0>();
    } else {
        constexpr Shape s = First::shape;
        return Seq<Layers...>::template raise<error::where<>, s.h, s.w, s.c, Strict>();
    }
}

template <class First>
constexpr Shape input_shape_of() {
    if constexpr (is_input<First>::value) return First::shape;
    else return Shape{};
}
}  // namespace detail

template <bool Strict, class First, class... Layers>
struct basic_net {
    static_assert(detail::diagnose_net<Strict, First, Layers...>(), "kiln: invalid net (see the error above)");

    using input_layer = First;
    using body = Seq<Layers...>;
    // The layers after the Input, as a Hana type list (lowering and summaries iterate over it).
    static constexpr auto layers = boost::hana::tuple_t<Layers...>;
    static constexpr std::size_t layer_count = sizeof...(Layers);  // not counting the Input
    static constexpr bool strict = Strict;

    static constexpr Shape input_shape = detail::input_shape_of<First>();
    static constexpr typename body::Walk walk = body::walk(input_shape, Strict);
    static constexpr bool valid = detail::is_input<First>::value && walk.ok();

    // shapes[0] is the input; shapes[i] the output of layer i (1-based, as in error messages).
    static constexpr std::array<Shape, layer_count + 1> shapes = walk.shapes;
    static constexpr Shape output_shape = walk.shapes[layer_count];
    static constexpr std::array<extent_t, layer_count> layer_params = walk.params;
    static constexpr std::array<extent_t, layer_count> layer_macs = walk.macs;
    static constexpr extent_t param_count = body::params(input_shape);
    static constexpr extent_t mac_count = body::macs(input_shape);
};

template <class... Layers>
struct Net : basic_net<false, Layers...> {};

template <class... Layers>
struct StrictNet : basic_net<true, Layers...> {};

}  // namespace kiln
