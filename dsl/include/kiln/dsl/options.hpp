// Layer options: small tag types (Kernel<5>, Stride<2>, Same, NoBias...) that a layer takes in any
// order, and the Hana-based lookup that reads them. Each option names its category, so a layer can
// tell an option it does not accept, or a repeated one, and report it by position.
#pragma once

#include <boost/hana/basic_tuple.hpp>
#include <boost/hana/fold_left.hpp>
#include <boost/hana/type.hpp>
#include <ratio>
#include <type_traits>

#include "kiln/dsl/check.hpp"

namespace kiln {

namespace category {
struct kernel {};
struct window {};
struct stride {};
struct dilation {};
struct padding {};
struct bias {};
struct flip {};
struct pad_counting {};
struct groups {};
struct rounding {};
struct none {};  // not a kiln option at all
}  // namespace category

template <extent_t H, extent_t W = H>
struct Kernel {
    using option_category = category::kernel;
    static constexpr Extent2 value{H, W};
};
template <extent_t H, extent_t W = H>
struct Window {
    using option_category = category::window;
    static constexpr Extent2 value{H, W};
};
template <extent_t H, extent_t W = H>
struct Stride {
    using option_category = category::stride;
    static constexpr Extent2 value{H, W};
};
template <extent_t H, extent_t W = H>
struct Dilation {
    using option_category = category::dilation;
    static constexpr Extent2 value{H, W};
};

// Grouped convolution: input channels and filters split into G groups, each filter reading only
// its group's input channels (ONNX's and PyTorch's `group`). Groups<C> with C filters over C input
// channels is a depthwise convolution (MobileNet's); see DepthwiseConv in conv.hpp.
template <extent_t G>
struct Groups {
    using option_category = category::groups;
    static constexpr extent_t value = G;
};

// Padding: Valid (none), Same (TensorFlow; ONNX's SAME_UPPER), SameLower (ONNX's SAME_LOWER: an odd
// total's extra row/column at the top/left), Full (d*(k-1) each side), Pad<rows, cols> (symmetric),
// PadSides<top, bottom, left, right>.
struct Valid {
    using option_category = category::padding;
    static constexpr Padding value{PaddingKind::valid, {}, {}};
};
struct Same {
    using option_category = category::padding;
    static constexpr Padding value{PaddingKind::same, {}, {}};
};
struct SameLower {
    using option_category = category::padding;
    static constexpr Padding value{PaddingKind::same_lower, {}, {}};
};
struct Full {
    using option_category = category::padding;
    static constexpr Padding value{PaddingKind::full, {}, {}};
};
template <extent_t Rows, extent_t Cols = Rows>
struct Pad {
    using option_category = category::padding;
    static constexpr Padding value{PaddingKind::explicit_pads, {Rows, Rows}, {Cols, Cols}};
};
template <extent_t Top, extent_t Bottom, extent_t Left, extent_t Right>
struct PadSides {
    using option_category = category::padding;
    static constexpr Padding value{PaddingKind::explicit_pads, {Top, Bottom}, {Left, Right}};
};

struct WithBias {
    using option_category = category::bias;
    static constexpr bool value = true;
};
struct NoBias {
    using option_category = category::bias;
    static constexpr bool value = false;
};

// What frameworks call convolution is cross-correlation; TrueConvolution flips the kernel by 180
// degrees first, as in the lecture's "Kernel Flipping" section.
struct CrossCorrelation {
    using option_category = category::flip;
    static constexpr bool value = false;
};
struct TrueConvolution {
    using option_category = category::flip;
    static constexpr bool value = true;
};

// How a pool's output size rounds: down (FloorMode, the default, the one shape rule) or up
// (CeilMode: a last, partial window still gives an output; PyTorch's and ONNX's ceil_mode).
struct FloorMode {
    using option_category = category::rounding;
    static constexpr bool value = false;
};
struct CeilMode {
    using option_category = category::rounding;
    static constexpr bool value = true;
};

// Whether padded cells count in an average (PyTorch's count_include_pad=True) or not (TensorFlow).
struct CountPadding {
    using option_category = category::pad_counting;
    static constexpr bool value = true;
};
struct ExcludePadding {
    using option_category = category::pad_counting;
    static constexpr bool value = false;
};

namespace detail {

template <class T, class = void>
struct category_of {
    using type = category::none;
};
template <class T>
struct category_of<T, std::void_t<typename T::option_category>> {
    using type = typename T::option_category;
};
template <class T>
using category_of_t = typename category_of<T>::type;

// The value of the first option of category Cat, or `fallback` when there is none.
template <class Cat, class Value, class... Options>
constexpr Value option_or(Value fallback) {
    return boost::hana::fold_left(boost::hana::make_basic_tuple(boost::hana::type_c<Options>...),
                                  fallback, [](Value acc, auto option) {
                                      using O = typename decltype(option)::type;
                                      if constexpr (std::is_same_v<category_of_t<O>, Cat>) return Value(O::value);
                                      else return acc;
                                  });
}

template <class Cat, class... Options>
constexpr bool has_option() {
    return (std::is_same_v<category_of_t<Options>, Cat> || ...);
}

template <class T, class... Ts>
constexpr bool is_one_of() {
    return (std::is_same_v<T, Ts> || ...);
}

// First option (0-based) whose category the layer does not accept, or a repeated category.
template <class Accepted, class... Options>
struct option_audit;
template <class... Accepted, class... Options>
struct option_audit<boost::hana::basic_tuple<Accepted...>, Options...> {
    static constexpr Check run() {
        constexpr bool accepted[] = {true, is_one_of<category_of_t<Options>, Accepted...>()...};
        // Where each option's category first appears: a later option of the same category repeats
        // it. (Compared as types: comparing addresses of tag objects in a constant expression did
        // not compile under g++'s -fsanitize=null.)
        constexpr int first[] = {0, first_of<category_of_t<Options>>()...};
        constexpr int n = sizeof...(Options);
        for (int i = 0; i < n; ++i)
            if (!accepted[i + 1]) return fail(Rule::option_not_accepted, i);
        for (int i = 0; i < n; ++i)
            if (first[i + 1] != i) return fail(Rule::duplicate_option, i);
        return check_ok();
    }

  private:
    template <class Cat>
    static constexpr int first_of() {
        constexpr bool same[] = {false, std::is_same_v<category_of_t<Options>, Cat>...};
        for (int i = 0; i < int(sizeof...(Options)); ++i)
            if (same[i + 1]) return i;
        return -1;
    }
};

}  // namespace detail

// Compile-time ratio (std::ratio) as a double, for parameters C++17 cannot take as floats.
template <class R>
constexpr double ratio_value = double(R::num) / double(R::den);

}  // namespace kiln
