// describe<Net>(): the run-time NetSpec of a declared net, built from the same constexpr rules that
// checked it at compile time, so the code generator cannot disagree with the DSL about any shape.
#pragma once

#include <boost/hana/for_each.hpp>

#include "kiln/dsl/layer_spec.hpp"
#include "kiln/dsl/net.hpp"

namespace kiln {

namespace detail {
template <class T>
struct is_concat : std::false_type {};
template <class... B>
struct is_concat<Concat<B...>> : std::true_type {};
template <class T>
struct is_residual : std::false_type {};
template <class B, class S>
struct is_residual<Residual<B, S>> : std::true_type {};
template <class T>
struct is_gate : std::false_type {};
template <class B>
struct is_gate<Gate<B>> : std::true_type {};

template <class... Layers>
std::vector<LayerSpec> describe_seq(Seq<Layers...>, Shape in, const std::string& prefix, bool strict);

template <class L>
LayerSpec describe_layer(Shape in, const std::string& path, bool strict) {
    if constexpr (is_concat<L>::value || is_residual<L>::value || is_gate<L>::value) {
        LayerSpec s;
        s.path = path;
        s.name = layer_name(path, L::attrs.kind);
        s.attrs = L::attrs;
        s.in = in;
        s.out = L::output(in);
        s.param_count = L::params(in);
        s.macs = L::macs(in);
        if constexpr (is_concat<L>::value) {
            int b = 0;
            boost::hana::for_each(L::branch_types, [&](auto branch) {
                using B = typename decltype(branch)::type;
                s.children.push_back(describe_seq(B{}, in, path + "/b" + std::to_string(++b), strict));
            });
        } else if constexpr (is_gate<L>::value) {
            s.children.push_back(describe_seq(typename L::branch_type{}, in, path + "/b1", strict));
        } else {
            s.children.push_back(describe_seq(typename L::body_type{}, in, path + "/b1", strict));
            s.children.push_back(describe_seq(typename L::shortcut_type{}, in, path + "/b2", strict));
        }
        return s;
    } else {
        return make_layer_spec(L::attrs, in, path, strict);
    }
}

template <class... Layers>
std::vector<LayerSpec> describe_seq(Seq<Layers...>, Shape in, const std::string& prefix, bool strict) {
    std::vector<LayerSpec> out;
    Shape s = in;
    int i = 0;
    boost::hana::for_each(boost::hana::tuple_t<Layers...>, [&](auto layer) {
        using L = typename decltype(layer)::type;
        out.push_back(describe_layer<L>(s, prefix + (prefix.empty() ? "" : "/") + std::to_string(++i), strict));
        s = out.back().out;
    });
    return out;
}
}  // namespace detail

template <class N>
NetSpec describe() {
    static_assert(N::valid, "kiln: describe<Net>() needs a valid net");
    NetSpec spec;
    spec.input = N::input_shape;
    spec.output = N::output_shape;
    spec.param_count = N::param_count;
    spec.macs = N::mac_count;
    spec.strict = N::strict;
    spec.layers = detail::describe_seq(typename N::body{}, N::input_shape, "", N::strict);
    return spec;
}

}  // namespace kiln
