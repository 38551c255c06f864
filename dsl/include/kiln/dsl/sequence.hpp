// Seq<Layers...>: a flat list of layers applied one after another, and the left fold that carries
// the shape through it. The fold is a C++17 fold expression over a constexpr walk, not recursion,
// so a 200-layer net costs no template depth. Branch, Body and Shortcut (composite layers) are Seqs.
#pragma once

#include <array>
#include <cstddef>

#include "kiln/dsl/errors.hpp"
#include "kiln/dsl/simple_layer.hpp"

namespace kiln {

namespace detail {
template <class Where, class Step>
struct append_step;
template <class... Steps, class Step>
struct append_step<error::where<Steps...>, Step> {
    using type = error::where<Steps..., Step>;
};
}  // namespace detail

template <class... Layers>
struct Seq {
    static constexpr std::size_t size = sizeof...(Layers);

    // Shapes before/after each layer (shapes[0] is the input), per-layer counts, and the first
    // failure. Layers after a failure are not examined.
    struct Walk {
        std::array<Shape, size + 1> shapes{};
        std::array<extent_t, size> params{};
        std::array<extent_t, size> macs{};
        Check failure{};
        std::size_t failed_at = size;
        constexpr bool ok() const { return failure.ok(); }
    };

    static constexpr Walk walk(Shape in, bool strict) {
        Walk w{};
        w.shapes[0] = in;
        std::size_t i = 0;
        (step<Layers>(w, i, strict), ...);
        return w;
    }

    // A Seq used as a layer inside a composite one.
    static constexpr Check check(Shape in, bool strict) { return walk(in, strict).failure; }
    static constexpr Shape output(Shape in) { return walk(in, false).shapes[size]; }
    static constexpr extent_t params(Shape in) { return sum(walk(in, false).params); }
    static constexpr extent_t macs(Shape in) { return sum(walk(in, false).macs); }

    // Reports the first failing layer, appending its 1-based position to Where.
    template <class Where, extent_t H, extent_t W, extent_t C, bool Strict>
    static constexpr bool raise() {
        constexpr Walk w = walk(Shape{H, W, C}, Strict);
        if constexpr (w.ok()) return true;
        else {
            constexpr std::size_t i = w.failed_at;
            using failing = typename detail::nth_or_void<i, Layers...>::type;
            using where = typename detail::append_step<Where, error::layer<extent_t(i + 1)>>::type;
            constexpr Shape s = w.shapes[i];
            return failing::template raise<where, s.h, s.w, s.c, Strict>();
        }
    }

  private:
    template <class L>
    static constexpr void step(Walk& w, std::size_t& i, bool strict) {
        if (w.ok()) {
            const Check ck = L::check(w.shapes[i], strict);
            if (!ck.ok()) {
                w.failure = ck;
                w.failed_at = i;
            } else {
                w.shapes[i + 1] = L::output(w.shapes[i]);
                w.params[i] = L::params(w.shapes[i]);
                w.macs[i] = L::macs(w.shapes[i]);
            }
        }
        ++i;
    }
    template <std::size_t N>
    static constexpr extent_t sum(const std::array<extent_t, N>& a) {
        extent_t s = 0;
        for (std::size_t k = 0; k < N; ++k) s += a[k];
        return s;
    }
};

// Names for a Seq by its role in a composite layer.
template <class... Layers> struct Branch : Seq<Layers...> {};
template <class... Layers> struct Body : Seq<Layers...> {};
template <class... Layers> struct Shortcut : Seq<Layers...> {};

}  // namespace kiln
