// A net's structure as one string: every layer's kind, shapes, learned tensors and the attributes
// that change what it computes without changing a shape (a conv's stride, dilation, padding and
// orientation; a pool's window; an activation's function). Weights remember the signature of the
// net they were made for, so weights of another net with the same tensor names and sizes are
// refused instead of computing something else.
#pragma once

#include <sstream>
#include <string>
#include <type_traits>

#include "kiln/dsl/layer_fields.hpp"
#include "kiln/dsl/layer_spec.hpp"

namespace kiln {

// conv, activation, pool, global avg/max pool, dense, softmax, dropout, LRN, batch norm, concat, residual, gate,
// channel slice, channel shuffle, layer norm, channel scale
static_assert(layer_fields_are({9, 13, 8, 0, 0, 2, 1, 2, 8, 0, 0, 0, 0, 2, 1, 2, 0}),
              "a layer kind's fields changed: sign the new field in sign_layers (or see that a shape or a tensor already "
              "carries it), then update these counts");

namespace detail {
inline void sign(std::ostream& out, Shape s) { out << s.h << 'x' << s.w << 'x' << s.c; }
inline void sign(std::ostream& out, Extent2 e) { out << e.h << 'x' << e.w; }
inline void sign(std::ostream& out, Pads p) { out << p.begin << ',' << p.end; }

inline void sign_layers(std::ostream& out, const std::vector<LayerSpec>& layers) {
    for (const auto& l : layers) {
        out << l.name << ':' << l.kind() << '(';
        sign(out, l.in);
        out << "->";
        sign(out, l.out);
        std::visit(
            [&](const auto& a) {
                using A = std::decay_t<decltype(a)>;
                if constexpr (std::is_same_v<A, ConvAttrs> || std::is_same_v<A, PoolAttrs>) {
                    out << (std::is_same_v<A, ConvAttrs> ? " k" : " w");
                    if constexpr (std::is_same_v<A, ConvAttrs>) {
                        sign(out, a.kernel);
                        out << " d";
                        sign(out, a.dilation);
                        out << (a.flip ? " flip" : "");
                        if (a.groups != 1) out << " g" << a.groups;  // absent when 1: older weights keep their signature
                    } else {
                        sign(out, a.window);
                        out << " f" << int(a.function) << (a.count_padding ? " count" : "");
                        if (a.dilation.h != 1 || a.dilation.w != 1) out << " d" << a.dilation.h << 'x' << a.dilation.w;
                        out << (a.ceil_mode ? " ceil" : "");  // both absent by default: older weights keep their signature
                    }
                    out << " s";
                    sign(out, a.stride);
                    out << " p";
                    sign(out, a.rows(l.in));
                    out << ';';
                    sign(out, a.cols(l.in));
                } else if constexpr (std::is_same_v<A, ActivationAttrs>) {
                    out << " f" << int(a.function) << ' ' << a.slope_num << '/' << a.slope_den;
                    if (a.function == ActivationFunction::clip)
                        out << ' ' << a.low_num << '/' << a.low_den << ',' << a.high_num << '/' << a.high_den;
                    if (a.function == ActivationFunction::hard_sigmoid) out << ' ' << a.offset_num << '/' << a.offset_den;
                } else if constexpr (std::is_same_v<A, ChannelSliceAttrs>) {
                    out << " c" << a.begin << ',' << a.end;
                } else if constexpr (std::is_same_v<A, LayerNormAttrs>) {
                    out << " e" << a.epsilon_num << '/' << a.epsilon_den;
                } else if constexpr (std::is_same_v<A, ChannelShuffleAttrs>) {
                    out << " g" << a.groups;
                } else if constexpr (std::is_same_v<A, SoftmaxAttrs>) {
                    out << (a.log ? " log" : "");
                } else if constexpr (std::is_same_v<A, LrnAttrs>) {
                    out << " r" << a.radius << ' ' << a.bias << ' ' << a.alpha << ' ' << a.beta;
                }
            },
            l.attrs);
        for (const auto& p : l.params) {
            out << ' ' << p.role << '[';
            for (std::size_t d = 0; d < p.dims.size(); ++d) out << (d ? "," : "") << p.dims[d];
            out << ']';
        }
        for (const auto& branch : l.children) {
            out << " {";
            sign_layers(out, branch);
            out << '}';
        }
        out << ") ";
    }
}
}  // namespace detail

inline std::string net_signature(const NetSpec& net) {
    std::ostringstream out;
    out << "input ";
    detail::sign(out, net.input);
    out << ": ";
    detail::sign_layers(out, net.layers);
    return out.str();
}

}  // namespace kiln
