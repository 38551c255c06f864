// Each layer kind's field count, counted by the compiler. The code that reads a layer's attributes
// field by field (the weights signature, the summary, the tuning key, the ONNX declaration writer)
// asserts the counts it was written for with layer_fields_are(), so a field added to a layer kind,
// or a new kind, is a compile error in each of them until it says what the field means there.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <utility>
#include <variant>

#include "kiln/dsl/layer_spec.hpp"

namespace kiln {

namespace detail {
// Converts to any field's type (declared only: used in unevaluated brace-initializations).
struct any_field {
    template <class T>
    constexpr operator T() const;
};
template <class T, class Indices, class = void>
struct brace_initializable : std::false_type {};
template <class T, std::size_t... I>
struct brace_initializable<T, std::index_sequence<I...>, std::void_t<decltype(T{(void(I), any_field{})...})>> : std::true_type {};
// The fields of an aggregate: the most initializers it takes, one per field.
template <class T, std::size_t N = 0>
constexpr std::size_t count_fields() {
    if constexpr (brace_initializable<T, std::make_index_sequence<N + 1>>::value) return count_fields<T, N + 1>();
    else return N;
}
template <class Variant>
struct field_counts;
template <class... Kinds>
struct field_counts<std::variant<Kinds...>> {
    static constexpr std::size_t kinds = sizeof...(Kinds);
    static constexpr std::size_t value[kinds] = {count_fields<Kinds>()...};
};
}  // namespace detail

template <class Attrs>
inline constexpr std::size_t field_count = detail::count_fields<Attrs>();

// Whether the layer kinds, in LayerAttrs's order, have exactly these field counts.
constexpr bool layer_fields_are(std::initializer_list<std::size_t> counts) {
    using F = detail::field_counts<LayerAttrs>;
    if (counts.size() != F::kinds) return false;
    std::size_t i = 0;
    for (std::size_t c : counts)
        if (F::value[i++] != c) return false;
    return true;
}

}  // namespace kiln
